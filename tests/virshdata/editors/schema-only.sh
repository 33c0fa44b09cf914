#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# An editor for test-virsh-edit: an element only the schema refuses
# (libvirt ignores it), and a higher floor.
sed -i -e 's|<floor unit="MiB">512</floor>|<floor unit="MiB">768</floor>|' \
       -e 's|</devices>|<frobnicator/></devices>|' "$1"
