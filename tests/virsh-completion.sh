#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The bash completion of virsh-autoballoon, driven as bash drives it:
# COMP_WORDS split at COMP_WORDBREAKS (so "test:///default" is "test" ":"
# "///default"), COMP_CWORD, COMP_LINE and COMP_POINT. Each case runs twice:
# with bash-completion's library loaded (_init_completion) and without it
# (the script's own joining), as users have one or the other.
# Usage: virsh-completion.sh COMPLETION_SCRIPT TOOLS_BUILD_DIR
set -u
script=$1
export PATH=$2:$PATH
unset LIBVIRT_DEFAULT_URI
bclib=/usr/share/bash-completion/bash_completion

n=0 failed=0

# run_case MODE "EXPECTED" LINE WORD...: WORD... are COMP_WORDS, the last
# one the word under the cursor (at the end of LINE).
run_case()
{
    local mode=$1 expected=$2 line=$3 got
    shift 3
    got=$(MODE=$mode SCRIPT=$script BCLIB=$bclib LINE=$line bash --norc --noprofile -c '
        if [[ $MODE == bash-completion ]]; then
            source "$BCLIB" || exit 3
        fi
        source "$SCRIPT"
        COMP_WORDS=("$@")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        COMP_LINE=$LINE
        COMP_POINT=${#LINE}
        COMPREPLY=()
        _virsh_autoballoon virsh-autoballoon "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
        printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " " | sed "s/ $//"
    ' bash "$@")
    n=$((n + 1))
    if [[ $got == "$expected" ]]; then
        echo "ok $n - [$mode] '$line' -> $expected"
    else
        echo "not ok $n - [$mode] '$line'"
        echo "#   expected: '$expected'"
        echo "#   got:      '$got'"
        failed=$((failed + 1))
    fi
}

cases()
{
    local m=$1
    run_case "$m" "balloon-events balloon-inject-pressure balloon-policy balloon-status" \
        "virsh-autoballoon -c test:///default ballo" \
        virsh-autoballoon -c test : ///default ballo
    run_case "$m" "test" \
        "virsh-autoballoon -c test:///default balloon-policy " \
        virsh-autoballoon -c test : ///default balloon-policy ""
    run_case "$m" "--floor" \
        "virsh-autoballoon -c test:///default balloon-policy test --fl" \
        virsh-autoballoon -c test : ///default balloon-policy test --fl
    run_case "$m" "balloon-status" \
        "virsh-autoballoon --connect=test:///default balloon-st" \
        virsh-autoballoon --connect = test : ///default balloon-st
    run_case "$m" "test" \
        "virsh-autoballoon --connect=test:///default dumpxml t" \
        virsh-autoballoon --connect = test : ///default dumpxml t
    # the URI itself: bash replaces only what follows the last ':'
    run_case "$m" "///default" \
        "virsh-autoballoon -c test:" \
        virsh-autoballoon -c test :
    run_case "$m" "///session ///system" \
        "virsh-autoballoon -c qemu:///s" \
        virsh-autoballoon -c qemu : ///s
    run_case "$m" "critical" \
        "virsh-autoballoon -c test:///default balloon-inject-pressure test cr" \
        virsh-autoballoon -c test : ///default balloon-inject-pressure test cr
    # global options as --help lists them
    run_case "$m" "--keepalive-count --keepalive-interval" \
        "virsh-autoballoon --keep" \
        virsh-autoballoon --keep
    run_case "$m" "-K" \
        "virsh-autoballoon -K" \
        virsh-autoballoon -K
    run_case "$m" "--connect" \
        "virsh-autoballoon -q --con" \
        virsh-autoballoon -q --con
}

cases own
if [[ -r $bclib ]]; then
    cases bash-completion
else
    echo "# $bclib missing: install bash-completion to test with its library"
    echo "not ok $((n + 1)) - bash-completion library present"
    n=$((n + 1)) failed=$((failed + 1))
fi
echo "1..$n"
[[ $failed == 0 ]]
