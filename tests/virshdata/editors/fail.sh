#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# An editor for test-virsh-edit: changes the file, then fails.
sed -i 's|<floor unit="MiB">512</floor>|<floor unit="MiB">768</floor>|' "$1"
exit 3
