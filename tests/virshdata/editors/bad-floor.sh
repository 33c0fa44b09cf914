#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# An editor for test-virsh-edit: a floor above the domain's memory, which
# our checks refuse by name.
sed -i 's|<floor unit="MiB">512</floor>|<floor unit="MiB">999999</floor>|' "$1"
