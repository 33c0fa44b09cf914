/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virsh-autoballoon: the autoballoon commands of virsh. */
#include "ab-vsh.h"

int
main(int argc, char **argv)
{
    return abVshMain(argc, argv, "virsh-autoballoon");
}
