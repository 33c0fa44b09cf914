/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-vsh-edit.h: what the virsh front asks of ab-vsh-edit.c. */
#pragma once

#include <glib.h>
#include <stdbool.h>

/* Whether the command @words ("edit", ...) edits a domain with an
 * autoballoon policy on @uri (NULL: libvirt's default), so that the front
 * runs it instead of the real virsh, which would drop the autoballoon=
 * attribute. False on any error: the real virsh reports it. */
bool abVshEditRoutes(const char *uri, GPtrArray *words);
