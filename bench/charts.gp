# Host free memory, host swap and balloon-held memory over time, per policy.
# gnuplot -e "infile='series-a.tsv'; outfile='latest-a.png'; ttl='...'" bench/charts.gp
set terminal pngcairo size 900,900 font ",10"
set output outfile
set datafile separator "\t"
set key outside right top
set grid
set xlabel "simulated time (s)"
policies = "autoballoon none mom proxmox"
col(p, c) = (strcol(1) eq p ? column(c) : 1/0)
set multiplot layout 3,1 title ttl
set ylabel "host free (GiB)"
plot for [p in policies] infile using 2:(col(p, 3)) with lines lw 2 title p
set ylabel "host swap used (GiB)"
plot for [p in policies] infile using 2:(col(p, 4)) with lines lw 2 title p
set ylabel "held by balloons (GiB)"
plot for [p in policies] infile using 2:(col(p, 5)) with lines lw 2 title p
unset multiplot
