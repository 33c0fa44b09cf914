/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virsh-autoballoon's command-line parser (tools/): the word splitter the
 * virsh front uses, and the full parse into commands and options. Nothing
 * runs: there is no connection. */
#include "fuzz.h"
#include "ab-vsh.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *text = NULL;
    g_autoptr(GPtrArray) cmds = NULL;
    g_autoptr(GError) err = NULL;
    abVshControl ctl = { .progname = "virsh-autoballoon", .quiet = true };
    abVshCmd *cmd;
    bool empty = false;

    if (!(text = fuzzText(data, size, 16 * 1024)))
        return 0;
    cmds = abVshSplitCommands(text, &err);
    fuzzAssert(cmds || (err && err->message), "split refused without a message");
    cmd = abVshCommandStringParse(&ctl, text, &empty);
    if (cmd)
        fuzzAssert(cmds, "parsed what the splitter refused");
    abVshCommandFree(cmd);
    return 0;
}
