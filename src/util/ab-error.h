/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-error.h: the project's GError domain */
#pragma once

#include <glib.h>

#define AB_ERROR ab_error_quark()
GQuark ab_error_quark(void);

typedef enum {
    AB_ERROR_FAILED,        /* generic failure */
    AB_ERROR_INVALID,       /* a value the user gave is wrong */
    AB_ERROR_UNSUPPORTED,   /* the domain or host cannot do what was asked */
    AB_ERROR_SYSTEM,        /* an OS call failed */
} abErrorCode;
