# One reclaim trial on a real guest: the daemon's target, the balloon's
# actual and qemu's RSS over time, the pressure onset at t = 0.
# gnuplot -e "infile='series.tsv'; outfile='x.png'; ttl='...'" bench/e2e/chart.gp
set terminal pngcairo size 900,500 font ",10"
set output outfile
set datafile separator "\t"
set datafile missing "?"
set key outside right top
set grid
set title ttl
set xlabel "time from the pressure onset (s)"
set ylabel "MiB"
set arrow 1 from 0, graph 0 to 0, graph 1 nohead lw 2 dt 2 lc rgb "red"
set label 1 "onset" at 0, graph 0.97 offset 0.5,0 tc rgb "red"
plot infile using 1:4 with steps lw 2 title "target (daemon status)", \
     infile using 1:2 with lines lw 2 title "balloon actual", \
     infile using 1:3 with lines lw 2 title "qemu RSS"
