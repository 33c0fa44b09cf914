/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-vsh-parse.c: command lines into commands, with virsh's syntax and
 * virsh's error messages. */
#include "ab-vsh.h"
#include "ab-size.h"
#include "ab-error.h"

#include <string.h>

const abVshCmdDef *
abVshCmdDefLookup(const char *name)
{
    for (const abVshCmdGroup *g = abVshGroups; g->name; g++) {
        for (const abVshCmdDef *def = g->cmds; def->name; def++) {
            if (strcmp(def->name, name) == 0)
                return def;
        }
    }
    return NULL;
}

static void
abVshWordsFree(gpointer words)
{
    g_ptr_array_unref(words);
}

/* Words of the commands in @str: a GPtrArray of GPtrArray of strings.
 * Quotes and backslashes as in virsh: '...' is literal, "..." and bare
 * words take backslash escapes. */
GPtrArray *
abVshSplitCommands(const char *str, GError **error)
{
    g_autoptr(GPtrArray) cmds = g_ptr_array_new_with_free_func(abVshWordsFree);
    GPtrArray *words = g_ptr_array_new_with_free_func(g_free);
    const char *p = str;

    g_ptr_array_add(cmds, words);
    while (*p) {
        g_autoptr(GString) word = NULL;

        /* a backslash-newline continues the line, as in virsh */
        while (*p == ' ' || *p == '\t' || *p == '\r' || (p[0] == '\\' && p[1] == '\n'))
            p += *p == '\\' ? 2 : 1;
        if (!*p)
            break;
        if (*p == ';' || *p == '\n') {
            if (words->len > 0) {
                words = g_ptr_array_new_with_free_func(g_free);
                g_ptr_array_add(cmds, words);
            }
            p++;
            continue;
        }
        if (*p == '#') {
            while (*p && *p != '\n')
                p++;
            continue;
        }

        word = g_string_new(NULL);
        while (*p && *p != ' ' && *p != '\t' && *p != '\r' &&
               *p != ';' && *p != '\n') {
            if (*p == '\'') {
                const char *end = strchr(p + 1, '\'');
                if (!end) {
                    g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                                "missing '");
                    return NULL;
                }
                g_string_append_len(word, p + 1, end - p - 1);
                p = end + 1;
            } else if (*p == '"') {
                p++;
                while (*p && *p != '"') {
                    if (*p == '\\' && p[1])
                        p++;
                    g_string_append_c(word, *p++);
                }
                if (*p != '"') {
                    g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                                "missing \"");
                    return NULL;
                }
                p++;
            } else if (p[0] == '\\' && p[1] == '\n') {
                p += 2;
            } else if (*p == '\\') {
                if (!p[1]) {
                    g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                                "dangling \\");
                    return NULL;
                }
                g_string_append_c(word, p[1]);
                p += 2;
            } else {
                g_string_append_c(word, *p++);
            }
        }
        g_ptr_array_add(words, g_string_free(g_steal_pointer(&word), FALSE));
    }
    if (words->len == 0)
        g_ptr_array_remove_index(cmds, cmds->len - 1);
    return g_steal_pointer(&cmds);
}

void
abVshCommandFree(abVshCmd *cmd)
{
    while (cmd) {
        abVshCmd *next = cmd->next;
        size_t n = 0;

        for (const abVshOptDef *o = cmd->def->opts; o && o->name; o++)
            n++;
        for (size_t i = 0; i < n; i++)
            g_free(cmd->values[i]);
        g_free(cmd->values);
        g_free(cmd->given);
        g_free(cmd);
        cmd = next;
    }
}

static const char *
abVshOptTypeName(abVshOptType type)
{
    switch (type) {
    case AB_VSH_OT_STRING: return "string";
    case AB_VSH_OT_INT: return "number";
    case AB_VSH_OT_SIZE: return "size";
    case AB_VSH_OT_BOOL: break;
    }
    return "";
}

static int
abVshOptIndex(const abVshCmdDef *def, const char *name)
{
    for (int i = 0; def->opts && def->opts[i].name; i++) {
        if (strcmp(def->opts[i].name, name) == 0)
            return i;
    }
    return -1;
}

static abVshCmd *
abVshCmdNew(const abVshCmdDef *def)
{
    abVshCmd *cmd = g_new0(abVshCmd, 1);
    size_t n = 0;

    for (const abVshOptDef *o = def->opts; o && o->name; o++)
        n++;
    cmd->def = def;
    cmd->values = g_new0(char *, n + 1);
    cmd->given = g_new0(bool, n + 1);
    return cmd;
}

/* "COMMAND --help" is "help COMMAND", as in virsh. */
static abVshCmd *
abVshHelpFor(const char *name)
{
    abVshCmd *cmd = abVshCmdNew(abVshCmdDefLookup("help"));

    cmd->values[0] = g_strdup(name);
    cmd->given[0] = true;
    return cmd;
}

static abVshCmd *
abVshCommandWordsParse(abVshControl *ctl, GPtrArray *words)
{
    const char *name = g_ptr_array_index(words, 0);
    const abVshCmdDef *def = abVshCmdDefLookup(name);
    g_autoptr(abVshCmd) cmd = NULL;
    bool dataOnly = false;

    if (!def) {
        abVshError(ctl, "unknown command: '%s'", name);
        return NULL;
    }
    cmd = abVshCmdNew(def);

    for (guint w = 1; w < words->len; w++) {
        const char *word = g_ptr_array_index(words, w);
        int idx = -1;

        if (!dataOnly && strcmp(word, "--") == 0) {
            dataOnly = true;
            continue;
        }
        if (!dataOnly && g_str_has_prefix(word, "--") && word[2]) {
            g_autofree char *optname = g_strdup(word + 2);
            char *eq = strchr(optname, '=');
            const abVshOptDef *opt;

            if (eq)
                *eq++ = '\0';
            if (strcmp(optname, "help") == 0)
                return abVshHelpFor(def->name);
            idx = abVshOptIndex(def, optname);
            if (idx < 0) {
                abVshError(ctl, "command '%s' doesn't support option --%s",
                           def->name, optname);
                return NULL;
            }
            opt = &def->opts[idx];
            if (cmd->given[idx]) {
                abVshError(ctl, "option --%s already seen", opt->name);
                return NULL;
            }
            if (opt->type == AB_VSH_OT_BOOL) {
                if (eq) {
                    abVshError(ctl, "invalid '=' after option --%s", opt->name);
                    return NULL;
                }
            } else if (eq) {
                cmd->values[idx] = g_strdup(eq);
            } else if (w + 1 < words->len) {
                cmd->values[idx] = g_strdup(g_ptr_array_index(words, ++w));
            } else {
                abVshError(ctl, "expected syntax: --%s <%s>",
                           opt->name, abVshOptTypeName(opt->type));
                return NULL;
            }
            cmd->given[idx] = true;
            continue;
        }

        /* Data: the next positional option not yet given. */
        for (int i = 0; def->opts && def->opts[i].name; i++) {
            if ((def->opts[i].flags & AB_VSH_OFLAG_POS) && !cmd->given[i]) {
                idx = i;
                break;
            }
        }
        if (idx < 0) {
            abVshError(ctl, "unexpected data '%s'", word);
            return NULL;
        }
        cmd->values[idx] = g_strdup(word);
        cmd->given[idx] = true;
    }

    for (int i = 0; def->opts && def->opts[i].name; i++) {
        if ((def->opts[i].flags & AB_VSH_OFLAG_REQ) && !cmd->given[i]) {
            abVshError(ctl, "command '%s' requires <%s> option",
                       def->name, def->opts[i].name);
            return NULL;
        }
    }
    return g_steal_pointer(&cmd);
}

static abVshCmd *
abVshCommandListParse(abVshControl *ctl, GPtrArray *cmds)
{
    abVshCmd *first = NULL;
    abVshCmd **tail = &first;

    for (guint i = 0; i < cmds->len; i++) {
        abVshCmd *cmd = abVshCommandWordsParse(ctl, g_ptr_array_index(cmds, i));

        if (!cmd) {
            abVshCommandFree(first);
            return NULL;
        }
        *tail = cmd;
        tail = &cmd->next;
    }
    return first;
}

abVshCmd *
abVshCommandStringParse(abVshControl *ctl, const char *str, bool *empty)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) cmds = abVshSplitCommands(str, &err);

    *empty = false;
    if (!cmds) {
        abVshError(ctl, "%s", err->message);
        return NULL;
    }
    if (cmds->len == 0) {
        *empty = true;
        return NULL;
    }
    return abVshCommandListParse(ctl, cmds);
}

GPtrArray *
abVshSplitArgv(int argc, char **argv)
{
    GPtrArray *cmds = g_ptr_array_new_with_free_func(abVshWordsFree);
    GPtrArray *words = NULL;

    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], ";") == 0) {
            words = NULL;
            continue;
        }
        if (!words) {
            words = g_ptr_array_new_with_free_func(g_free);
            g_ptr_array_add(cmds, words);
        }
        g_ptr_array_add(words, g_strdup(argv[i]));
    }
    return cmds;
}

abVshCmd *
abVshCommandArgvParse(abVshControl *ctl, int argc, char **argv)
{
    g_autoptr(GPtrArray) cmds = abVshSplitArgv(argc, argv);

    if (cmds->len == 0) {
        abVshError(ctl, "no command given");
        return NULL;
    }
    return abVshCommandListParse(ctl, cmds);
}

static int
abVshCommandOptIndexGiven(const abVshCmd *cmd, const char *name)
{
    int idx = abVshOptIndex(cmd->def, name);

    /* A wrong name is a bug in a handler, not a user error. */
    g_assert(idx >= 0);
    return cmd->given[idx] ? idx : -1;
}

bool
abVshCommandOptBool(const abVshCmd *cmd, const char *name)
{
    return abVshCommandOptIndexGiven(cmd, name) >= 0;
}

int
abVshCommandOptString(const abVshCmd *cmd, const char *name, const char **value)
{
    int idx = abVshCommandOptIndexGiven(cmd, name);

    if (idx < 0)
        return 0;
    *value = cmd->values[idx];
    return 1;
}

int
abVshCommandOptUInt(abVshControl *ctl, const abVshCmd *cmd,
                    const char *name, unsigned int *value)
{
    const char *str;
    guint64 v;

    if (abVshCommandOptString(cmd, name, &str) == 0)
        return 0;
    if (!g_ascii_string_to_unsigned(str, 10, 0, G_MAXUINT, &v, NULL)) {
        abVshError(ctl, "Numeric value '%s' for <%s> option is malformed or out of range",
                   str, name);
        return -1;
    }
    *value = v;
    return 1;
}

int
abVshCommandOptSizeKiB(abVshControl *ctl, const abVshCmd *cmd,
                       const char *name, unsigned long long *kib)
{
    g_autoptr(GError) err = NULL;
    unsigned long long bytes;
    const char *str;

    if (abVshCommandOptString(cmd, name, &str) == 0)
        return 0;
    if (abSizeParseScaled(name, str, 1024, &bytes, &err) < 0) {
        abVshError(ctl, "%s", err->message);
        return -1;
    }
    *kib = bytes / 1024 + (bytes % 1024 ? 1 : 0);
    return 1;
}

bool
abVshExclusive(abVshControl *ctl, const abVshCmd *cmd, const char *a, const char *b)
{
    if (abVshCommandOptBool(cmd, a) && abVshCommandOptBool(cmd, b)) {
        abVshError(ctl, "Options --%s and --%s are mutually exclusive", a, b);
        return false;
    }
    return true;
}
