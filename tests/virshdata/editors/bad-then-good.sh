#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# An editor for test-virsh-edit: the first edit is refused (a floor above memory our
# checks refuse), the second fixes it and raises the floor. $AB_EDIT_STATE
# counts the calls.
n=$(cat "$AB_EDIT_STATE" 2>/dev/null || echo 0)
echo $((n + 1)) > "$AB_EDIT_STATE"
if [ "$n" = 0 ]; then
    sed -i 's|<floor unit="MiB">512</floor>|<floor unit="MiB">999999</floor>|' "$1"
else
    sed -i 's|<floor unit="MiB">999999</floor>|<floor unit="MiB">768</floor>|' "$1"
fi
