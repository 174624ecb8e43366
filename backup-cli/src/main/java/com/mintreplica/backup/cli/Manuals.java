package com.mintreplica.backup.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.zip.GZIPOutputStream;
import com.mintreplica.backup.core.Version;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.codegen.docgen.manpage.ManPageGenerator;

/**
 * A build step, not part of the command line (the build runs it in {@code prepare-package}, with picocli-codegen on
 * the class path, which the jar does not contain): writes, from the same command model the CLI parses with,
 * <ul>
 * <li>{@code man/man1/mint-backup.1} and one page per command and subcommand ({@code mint-backup-backup.1},
 * {@code mint-backup-key-writer-export.1}, ...), as troff. picocli's ManPageGenerator writes each page as AsciiDoc
 * (its sources go to {@code adoc/}); {@link #troff} turns the small, regular part of AsciiDoc that generator writes
 * (title, sections, paragraphs, {@code term::} lists, {@code *bold*}, {@code _italic_}, {@code xref:})
 * into man(7) macros, so that the build needs no Asciidoctor (a JRuby of its own, seconds on every build);</li>
 * <li>{@code man-gz/man1/*.1.gz}: the same, compressed as Debian installs man pages;</li>
 * <li>{@code completion/mint-backup}: the bash completion script (picocli's AutoComplete), which
 * {@code /usr/share/bash-completion/completions/} loads, or {@code source} does.</li>
 * </ul>
 * Usage: {@code Manuals OUTPUT-DIRECTORY}.
 */
final class Manuals {
    private Manuals() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: Manuals OUTPUT-DIRECTORY");
            System.exit(2);
        }
        Path out = Path.of(args[0]);
        CommandLine model = MintBackup.model();
        Path adoc = Files.createDirectories(out.resolve("adoc"));
        int code = ManPageGenerator.generateManPage(adoc.toFile(), null, new boolean[0], true, model.getCommandSpec());
        if (code != 0) {
            throw new IOException("the man page generator failed with exit code " + code);
        }
        Path man = Files.createDirectories(out.resolve("man").resolve("man1"));
        try (DirectoryStream<Path> pages = Files.newDirectoryStream(adoc, "*.adoc")) {
            for (Path page : pages) {
                String name = page.getFileName().toString().replaceFirst("\\.adoc$", "");
                Files.writeString(man.resolve(name + ".1"), troff(Files.readString(page, StandardCharsets.UTF_8),
                        Version.tool()), StandardCharsets.UTF_8);
            }
        }
        Path gz = Files.createDirectories(out.resolve("man-gz").resolve("man1"));
        try (DirectoryStream<Path> pages = Files.newDirectoryStream(man, "*.1")) {
            for (Path page : pages) {
                // GZIPOutputStream writes no time or name into the header: the same pages give the same bytes
                try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(gz.resolve(page.getFileName() + ".gz")))) {
                    Files.copy(page, o);
                }
            }
        }
        Path completion = Files.createDirectories(out.resolve("completion")).resolve("mint-backup");
        Files.writeString(completion, AutoComplete.bash("mint-backup", model), StandardCharsets.UTF_8);
    }

    private static final Pattern XREF = Pattern.compile("xref:([\\w.-]+)\\.adoc\\[([^\\]]*)]");
    private static final Pattern BOLD = Pattern.compile("\\*([^*\\s][^*]*)\\*");
    private static final Pattern ITALIC = Pattern.compile("(?<![\\w])_([^_\\s][^_]*)_(?![\\w])");

    /**
     * One page of ManPageGenerator's AsciiDoc as man(7). Markup is read where the generator writes it (the synopsis,
     * the terms of lists, command references); descriptions are our own text and stay literal (a glob such as
     * {@code *.log} is not emphasis).
     */
    static String troff(String asciidoc, String source) {
        StringBuilder body = new StringBuilder();
        Set<String> seeAlso = new LinkedHashSet<>();
        String title = "";
        String section = "";
        boolean afterTerm = false;
        boolean paragraph = false;
        for (String line : asciidoc.split("\n", -1)) {
            if (line.startsWith("//") || line.startsWith(":") && line.indexOf(':', 1) > 0) {
                continue; // comments; attributes (the manual's name and source are ours)
            }
            if (line.startsWith("= ")) {
                title = line.substring(2).trim().replaceFirst("\\(\\d\\)$", "");
            } else if (line.startsWith("== ")) {
                section = line.substring(3).trim();
                body.append(".SH \"").append(section.toUpperCase(Locale.ROOT)).append("\"\n");
                afterTerm = false;
                paragraph = false;
            } else if (line.isBlank()) {
                paragraph = false;
            } else if (!line.startsWith(" ") && line.endsWith("::")) {
                Matcher xref = XREF.matcher(line);
                while (xref.find()) {
                    seeAlso.add(xref.group(1));
                }
                body.append(".TP\n").append(line(markup(line.substring(0, line.length() - 2)))).append('\n');
                afterTerm = true;
                paragraph = true;
            } else {
                if (!paragraph && !section.equals("Name")) { // NAME is one line for whatis and apropos
                    body.append(afterTerm ? ".IP\n" : ".PP\n");
                    paragraph = true;
                }
                String text = line.strip();
                body.append(line(section.equals("Synopsis") ? markup(text) : escape(text))).append('\n');
            }
        }
        String name = title.isEmpty() ? "mint-backup" : title;
        if (!name.equals("mint-backup")) {
            seeAlso.add("mint-backup");
        }
        if (!seeAlso.isEmpty()) {
            body.append(".SH \"SEE ALSO\"\n");
            body.append(seeAlso.stream().map(s -> "\\fB" + escape(s) + "\\fR(1)").collect(Collectors.joining(",\n")))
                    .append('\n');
        }
        return ".\\\" generated by the build (Manuals) from picocli's model of the mint-backup command: do not edit\n"
                + ".TH \"" + escape(name.toUpperCase(Locale.ROOT)) + "\" \"1\" \"\" \"" + escape(source)
                + "\" \"mint-backup manual\"\n"
                + ".nh\n.ad l\n" + body;
    }

    /** The generator's markup of names and parameters: bold, italic, references to other pages. */
    private static String markup(String asciidoc) {
        String text = escape(XREF.matcher(asciidoc).replaceAll(m -> Matcher.quoteReplacement(m.group(2))));
        text = BOLD.matcher(text).replaceAll(m -> Matcher.quoteReplacement("\\fB" + m.group(1) + "\\fR"));
        return ITALIC.matcher(text).replaceAll(m -> Matcher.quoteReplacement("\\fI" + m.group(1) + "\\fR"));
    }

    /** Text that troff prints as it is: backslashes, and minus signs that copy as ASCII hyphens. */
    private static String escape(String text) {
        return text.replace("\\", "\\e").replace("-", "\\-");
    }

    /** A text line troff does not take for a request. */
    private static String line(String text) {
        return text.startsWith(".") || text.startsWith("'") ? "\\&" + text : text;
    }
}
