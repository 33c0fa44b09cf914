#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# An editor for test-virsh-edit: turns autoballoon on for a domain without
# a policy, with a floor.
sed -i 's|<memballoon model=.virtio.[^>]*>|<memballoon model="virtio" autoballoon="on"><autoballoon><floor unit="MiB">256</floor></autoballoon>|' "$1"
