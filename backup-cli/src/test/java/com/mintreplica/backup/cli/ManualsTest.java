package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The AsciiDoc that picocli's ManPageGenerator writes, as man(7) macros (ManualsIT renders the real pages). */
class ManualsTest {
    private static final String PAGE = String.join("\n",
            "// tag::picocli-generated-full-manpage[]",
            ":doctype: manpage",
            ":manmanual: Mint-backup Manual",
            "= mint-backup-cat(1)",
            "",
            "== Name",
            "",
            "mint-backup-cat - Write one entry's content.",
            "",
            "== Synopsis",
            "",
            "*mint-backup cat* [*-hqvV*] [*--audit-log*=_F_]",
            "                  _SNAPSHOT_ _ENTRY_",
            "",
            "== Description",
            "",
            "Leave out *.log and cache/** (globs are not emphasis).",
            ".starts with a dot, has a \\ backslash",
            "",
            "== Options",
            "",
            "*--audit-log*=_F_::",
            "  Append a line to this audit log.",
            "",
            "== Commands",
            "",
            "xref:mint-backup-key-add.adoc[*add*]::",
            "  Add a recipient.",
            "");

    @Test
    void sections_lists_and_the_generators_markup_become_man_macros_and_our_text_stays_literal() {
        String troff = Manuals.troff(PAGE, "mint-backup 9.9.9");
        assertThat(troff).contains(".TH \"MINT\\-BACKUP\\-CAT\" \"1\" \"\" \"mint\\-backup 9.9.9\" \"mint-backup manual\"\n")
                .contains(".SH \"NAME\"\nmint\\-backup\\-cat \\- Write one entry's content.\n")
                .contains("\\fBmint\\-backup cat\\fR [\\fB\\-hqvV\\fR] [\\fB\\-\\-audit\\-log\\fR=\\fIF\\fR]\n"
                        + "\\fISNAPSHOT\\fR \\fIENTRY\\fR\n")
                .contains(".PP\nLeave out *.log and cache/** (globs are not emphasis).\n"
                        + "\\&.starts with a dot, has a \\e backslash\n")
                .contains(".TP\n\\fB\\-\\-audit\\-log\\fR=\\fIF\\fR\nAppend a line to this audit log.\n")
                .contains(".TP\n\\fBadd\\fR\nAdd a recipient.\n")
                .contains(".SH \"SEE ALSO\"\n\\fBmint\\-backup\\-key\\-add\\fR(1),\n\\fBmint\\-backup\\fR(1)\n")
                .doesNotContain("//", ":doctype:", "xref:", "Mint-backup Manual");
    }
}
