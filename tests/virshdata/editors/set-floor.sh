#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# An editor for test-virsh-edit: raises vm1's floor from 512 to 768 MiB.
sed -i 's|<floor unit="MiB">512</floor>|<floor unit="MiB">768</floor>|' "$1"
