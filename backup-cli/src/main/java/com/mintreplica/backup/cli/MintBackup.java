package com.mintreplica.backup.cli;

import com.mintreplica.backup.core.BackupException;
import com.mintreplica.backup.core.Version;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code mint-backup} command. Exit codes: 0 success, 1 the operation failed (or verify found problems), 2 bad
 * usage or input (missing repository, unknown snapshot, unreadable path, ...). No stack trace unless {@code --debug}.
 */
@Command(name = "mint-backup", mixinStandardHelpOptions = true, versionProvider = MintBackup.VersionProvider.class,
        description = "Back up directories and databases into deduplicated, verifiable repositories; restore them.",
        usageHelpAutoWidth = true)
public final class MintBackup implements Callable<Integer> {
    /** The subcommands, in the order the usage lists them. */
    static final List<Class<?>> COMMANDS = List.of(InitCommand.class, BackupCommand.class, ListCommand.class,
            LsCommand.class, DiffCommand.class, FindCommand.class, RestoreCommand.class, VerifyCommand.class, CatCommand.class, KeyCommand.class,
            ForgetCommand.class, PruneCommand.class, RepairCommand.class, RewriteCommand.class, TagCommand.class, CopyCommand.class, RunCommand.class, DaemonCommand.class, StatusCommand.class,
            AuditCommand.class, DrillCommand.class, RecoverCommand.class, DoctorCommand.class,
            ReportCommand.class, WalPushCommand.class, WalFetchCommand.class, WalCommand.class, WalReceiveCommand.class);

    /**
     * The subcommands by the names and aliases their {@code @Command} annotations give (MintBackupTest checks the two
     * agree): finding the command a line names reads no annotation. Reading the 23 classes' annotations (a dynamic
     * proxy each) to find one cost 15-30 ms of every start.
     */
    static final Map<String, Class<?>> NAMES = Map.ofEntries(Map.entry("init", InitCommand.class),
            Map.entry("backup", BackupCommand.class), Map.entry("list", ListCommand.class),
            Map.entry("snapshots", ListCommand.class), Map.entry("ls", LsCommand.class),
            Map.entry("diff", DiffCommand.class), Map.entry("find", FindCommand.class),
            Map.entry("restore", RestoreCommand.class), Map.entry("verify", VerifyCommand.class),
            Map.entry("check", VerifyCommand.class), Map.entry("cat", CatCommand.class),
            Map.entry("key", KeyCommand.class), Map.entry("forget", ForgetCommand.class),
            Map.entry("prune", PruneCommand.class),
            Map.entry("repair", RepairCommand.class), Map.entry("rewrite", RewriteCommand.class),
            Map.entry("tag", TagCommand.class),
            Map.entry("copy", CopyCommand.class),
            Map.entry("run", RunCommand.class), Map.entry("daemon", DaemonCommand.class),
            Map.entry("status", StatusCommand.class), Map.entry("audit", AuditCommand.class),
            Map.entry("drill", DrillCommand.class), Map.entry("recover", RecoverCommand.class),
            Map.entry("doctor", DoctorCommand.class), Map.entry("report", ReportCommand.class),
            Map.entry("wal-push", WalPushCommand.class), Map.entry("wal-fetch", WalFetchCommand.class),
            Map.entry("wal", WalCommand.class), Map.entry("wal-receive", WalReceiveCommand.class));

    public static final int OK = 0;
    public static final int FAILED = 1;
    public static final int USAGE = 2;
    /** A backup saved its snapshot without some entries it could not read (restic's 3). */
    public static final int INCOMPLETE = 3;

    @Option(names = "--debug", description = "Show debug logs and stack traces.", scope = CommandLine.ScopeType.INHERIT)
    boolean debug;

    @Option(names = {"-v", "--verbose"}, description = "Show informational logs.", scope = CommandLine.ScopeType.INHERIT)
    boolean verbose;

    @Option(names = {"-q", "--quiet"}, description = "Print only errors and requested output; no progress line.",
            scope = CommandLine.ScopeType.INHERIT)
    boolean quiet;

    @Option(names = "--audit-log", paramLabel = "F", scope = CommandLine.ScopeType.INHERIT,
            description = "Append a line for each backup, restore, verify and key change to this audit log."
                    + " Default: $" + CliAudit.ENV + ".")
    java.nio.file.Path auditLog;

    final PrintStream out;
    final PrintStream err;
    final Map<String, String> env;
    /**
     * Arguments that are not valid UTF-8, as the JVM decoded them, to their exact bytes from the kernel: backup takes
     * such a source path (see ProcessArguments). Empty in tests and where the bytes are unknown.
     */
    Map<String, byte[]> rawArguments = Map.of();
    /** The process's arguments as the kernel has them, read by {@link #main}; null when run otherwise. */
    static volatile byte[][] processArguments;
    final boolean terminal;

    MintBackup(PrintStream out, PrintStream err, Map<String, String> env, boolean terminal) {
        this.out = out;
        this.err = err;
        this.env = env;
        this.terminal = terminal;
    }

    @Override
    public Integer call() {
        // the model with its commands (a bare `mint-backup` listed none: a CommandLine of its own has no subcommands)
        spec.commandLine().usage(out);
        return USAGE;
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        configureLogging(args);
        // JNA's only library here is the C library, which it takes from the process itself (backup-fs's Posix and
        // Prefetcher): without a platform path of its own, JNA's first use runs `ldconfig -p` in a child process
        // to make one, 10-30 ms on the way to the first directory read of every backup and restore.
        setIfAbsent("jna.platform.library.path", "");
        // A command stopped by Ctrl-C or SIGTERM gives back the repository leases it holds on the way out, as restic
        // does (one left behind blocked other hosts' prunes for half an hour). Not the long-running ones: daemon and
        // wal-receive stop their runs gracefully in their own hooks, and a run must keep its lease until it ends.
        if (Arrays.stream(args).noneMatch(a -> a.equals("daemon") || a.equals("wal-receive"))) {
            setIfAbsent("mint.backup.releaseLocksOnExit", "true");
        }
        ShippedNativeLibraries.use();
        processArguments = ProcessArguments.read(args.length);
        StandardOutput stdout = new StandardOutput();
        PrintStream out = new PrintStream(stdout, true, StandardCharsets.UTF_8);
        // UTF-8 whatever the locale (LANG unset makes the JVM's own streams ASCII): names print as they are.
        PrintStream err = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.err), true, StandardCharsets.UTF_8);
        int code = run(args, out, err, System.getenv(), System.console() != null);
        out.flush();
        code = stdout.failure == null ? code : outputFailed(stdout.failure, err, code);
        err.flush();
        System.exit(code);
    }

    /**
     * Standard output, remembering why a write failed: a PrintStream only says that one did, and a command whose
     * output could not be written must not exit 0 (`mint-backup cat ... > file` on a full disk left a cut file).
     */
    static final class StandardOutput extends java.io.FilterOutputStream {
        volatile java.io.IOException failure;

        StandardOutput() {
            super(new java.io.FileOutputStream(java.io.FileDescriptor.out));
        }

        @Override
        public void write(int b) throws java.io.IOException {
            try {
                out.write(b);
            } catch (java.io.IOException e) {
                throw failed(e);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws java.io.IOException {
            try {
                out.write(b, off, len);
            } catch (java.io.IOException e) {
                throw failed(e);
            }
        }

        private java.io.IOException failed(java.io.IOException e) {
            if (failure == null) {
                failure = e;
            }
            return e;
        }
    }

    /**
     * The exit status when standard output could not be written: a reader that went away (`| head`) ends the command
     * quietly, as SIGPIPE ends restic or cat (status 141); anything else (a full disk) is said, and fails it.
     */
    static int outputFailed(java.io.IOException e, PrintStream err, int code) {
        String reason = String.valueOf(e.getMessage());
        if (reason.toLowerCase(java.util.Locale.ROOT).contains("broken pipe")) {
            return code == OK ? 141 : code;
        }
        err.println("mint-backup: the output could not be written (" + reason + "): what was written is incomplete");
        return code == OK ? FAILED : code;
    }

    /** Runs one command line; for tests and embedding. Never calls System.exit. */
    public static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env, boolean terminal) {
        Map<String, byte[]> raw = ProcessArguments.notUtf8(args, processArguments);
        if (!raw.isEmpty() && commandNamed(args) != BackupCommand.class) {
            err.println("mint-backup: the argument '" + ProcessArguments.display(raw.values().iterator().next())
                    + "' is not valid UTF-8; only backup takes such a path (a source path). Name a directory above"
                    + " it, and in --include and --exclude patterns write such a byte as \\xff");
            return USAGE;
        }
        String undecodable = undecodableArgument(args, raw.keySet());
        if (undecodable != null) {
            err.println("mint-backup: the argument '" + undecodable + "' holds characters that this JVM's locale ("
                    + System.getProperty("sun.jnu.encoding") + ") cannot decode, so the path it names is unknown:"
                    + " run mint-backup through bin/mint-backup, or with LC_ALL=C.UTF-8 (or another UTF-8 locale)");
            return USAGE;
        }
        MintBackup root = new MintBackup(out, err, env, terminal);
        root.rawArguments = raw;
        CommandLine cli = new CommandLine(root);
        // Building picocli's model of a command costs reflection over all its options: a run that names its command
        // builds only that one (start-up is most of a short run); usage, help and mistakes get them all.
        Class<?> named = commandNamed(args);
        for (Class<?> command : named == null ? COMMANDS : List.of(named)) {
            cli.addSubcommand(command);
        }
        if (named == null) {
            cli.addSubcommand(new CommandLine.HelpCommand());
        }
        withHelpOptions(cli);
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setParameterExceptionHandler((ex, a) -> {
            if (named == WalFetchCommand.class && WalFetchCommand.stopsRecovery(lastPath(args))) {
                return WalFetchCommand.abortRecovery(ex, root); // a typo in restore_command is no end of the archive
            }
            err.println("mint-backup: " + ex.getMessage());
            String policy = policyGivenToForget(ex);
            if (policy != null) {
                err.println("forget removes the snapshots it is given; a policy such as " + policy + " is `mint-backup"
                        + " prune`'s, which removes the snapshots the policy does not keep, then the data only they used"
                        + " (try it with --dry-run first).");
            } else {
                CommandLine.UnmatchedArgumentException.printSuggestions(ex, err);
            }
            err.println("Run 'mint-backup " + commandPath(ex.getCommandLine()) + "--help' for usage.");
            return USAGE;
        });
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> handle(ex, root));
        try {
            return cli.execute(args);
        } catch (OutOfMemoryError e) {
            // An Error passes picocli's handler: without this the JVM printed a stack trace and nothing to act on.
            if (root.debug) {
                e.printStackTrace(err);
            }
            err.println(outOfMemory(Runtime.getRuntime().maxMemory()));
            return FAILED;
        }
    }

    /**
     * The first retention option ({@code --keep-last} and the like) given to {@code forget}, which has none, or null:
     * restic's {@code forget} takes a policy, ours the snapshots to remove, and picocli's own suggestion for
     * {@code --keep-last} was {@code --key}.
     */
    static String policyGivenToForget(CommandLine.ParameterException ex) {
        if (ex instanceof CommandLine.UnmatchedArgumentException unmatched && ex.getCommandLine() != null
                && "forget".equals(ex.getCommandLine().getCommandName())) {
            for (String arg : unmatched.getUnmatched()) {
                if (arg.startsWith("--keep-")) {
                    int equals = arg.indexOf('=');
                    return equals < 0 ? arg : arg.substring(0, equals);
                }
            }
        }
        return null;
    }

    /**
     * What to do when the heap ran out. A backup's budgets, its chunker's buffer, the workers' encodings and kept
     * compression buffers, a copy's blobs in flight and verify's pack reads all shrink with the heap
     * (BackupRun.Budgets): with the default sizes (chunks up to 8 MiB, 16 MiB packs), a backup of files of random
     * bytes, its copy into another encrypted repository, verify and restore finish in a 64 MiB heap (SmallHeapIT), and
     * the backup runs out of a 56 MiB one.
     */
    static String outOfMemory(long maxHeap) {
        // twice what it has, in whole powers of two of MiB: it recommended 256m to a JVM that had 512m already
        long suggested = 256;
        while (suggested < 2 * (maxHeap >> 20)) {
            suggested *= 2;
        }
        return "mint-backup: the Java heap ran out of memory (its maximum is " + (maxHeap >> 20) + " MiB). Give it"
                + " more with JAVA_OPTS=-Xmx<size>, for example JAVA_OPTS=-Xmx" + (suggested >= 1024 && suggested % 1024 == 0
                ? suggested / 1024 + "g" : suggested + "m") + ". What needs heap: a directory of many entries, some"
                + " 200 bytes an entry while a backup compares it with the last snapshot (a directory of 300,000 files"
                + " needs 96 MiB);"
                + " a backup of large files with the default chunk and pack sizes needs at least 64 MiB. Run with --debug"
                + " for details";
    }

    /** The last argument as a path, or null (restore_command's %p comes last). */
    private static java.nio.file.Path lastPath(String[] args) {
        try {
            return args.length == 0 ? null : java.nio.file.Path.of(args[args.length - 1]);
        } catch (java.nio.file.InvalidPathException e) {
            return null;
        }
    }

    /**
     * The whole command model (every command, subcommand and option) without running anything: what the build
     * generates the man pages and the shell completion from ({@link Manuals}).
     */
    static CommandLine model() {
        CommandLine cli = new CommandLine(new MintBackup(System.out, System.err, Map.of(), false));
        for (Class<?> command : COMMANDS) {
            cli.addSubcommand(command);
        }
        cli.addSubcommand(new CommandLine.HelpCommand());
        withHelpOptions(cli);
        return cli;
    }

    /**
     * An argument the JVM could not decode (it has U+FFFD where the bytes were) when its file-name encoding is not
     * UTF-8, as with LANG unset: such an argument cannot name the path the user meant.
     */
    static String undecodableArgument(String[] args) {
        return undecodableArgument(args, java.util.Set.of());
    }

    /** The same, but for the arguments whose exact bytes are known ({@code known}: see ProcessArguments). */
    static String undecodableArgument(String[] args, java.util.Set<String> known) {
        String jnu = System.getProperty("sun.jnu.encoding", "UTF-8");
        if (jnu.equalsIgnoreCase("UTF-8") || jnu.equalsIgnoreCase("UTF8")) {
            return null;
        }
        for (String a : args) {
            if (a.indexOf('\ufffd') >= 0 && !known.contains(a)) {
                return a;
            }
        }
        return null;
    }

    /** Every command and subcommand answers --help (and -h). */
    private static void withHelpOptions(CommandLine command) {
        for (CommandLine sub : command.getSubcommands().values()) {
            if (!sub.getCommandSpec().mixinStandardHelpOptions() && !(sub.getCommand() instanceof CommandLine.HelpCommand)) {
                sub.getCommandSpec().mixinStandardHelpOptions(true);
            }
            withHelpOptions(sub);
        }
    }

    /** The subcommand the first non-option argument names, or null. */
    static Class<?> commandNamed(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--audit-log")) {
                i++; // the one global option with a separate value
                continue;
            }
            if (arg.startsWith("-")) {
                continue;
            }
            return NAMES.get(arg);
        }
        return null;
    }

    private static String commandPath(CommandLine cl) {
        StringBuilder sb = new StringBuilder();
        for (CommandLine c = cl; c != null && c.getParent() != null; c = c.getParent()) {
            sb.insert(0, c.getCommandName() + " ");
        }
        return sb.toString();
    }

    static int handle(Exception ex, MintBackup root) {
        if (root.debug) {
            ex.printStackTrace(root.err);
        }
        java.nio.file.AccessDeniedException denied = deniedCause(ex);
        if (ex instanceof BackupException be) {
            String message = String.valueOf(be.getMessage());
            if (denied != null && !message.contains("permission denied")) {
                message += " (permission denied)";
            }
            root.err.println("mint-backup: " + message);
            // a path this user may not read or write is the caller's to fix, like an unreadable source path
            return be.isCallerError() || denied != null ? USAGE : FAILED;
        }
        root.err.println("mint-backup: " + (ex.getMessage() == null ? ex.toString() : ex.getMessage())
                + (root.debug ? "" : " (run with --debug for details)"));
        return FAILED;
    }

    /** The file-system refusal behind a failure, if one is: the user may not read or write a path. */
    private static java.nio.file.AccessDeniedException deniedCause(Throwable ex) {
        for (Throwable t = ex; t != null; t = t.getCause()) {
            if (t instanceof java.nio.file.AccessDeniedException denied) {
                return denied;
            }
        }
        return null;
    }

    /**
     * slf4j-simple reads its settings once, on first use: set them before anything logs. Only mint-backup's own
     * loggers reach the terminal (warnings, and information with {@code -v}); the libraries' loggers (the AWS SDK's,
     * the MongoDB driver's, and java.util.logging and commons-logging, which Google's and Apache's clients use) stay
     * silent unless {@code --debug}: their lines (a stack trace from a stage of the SDK that failed to close a
     * stream) say nothing an operator can act on that our own messages do not say better.
     */
    static void configureLogging(String[] args) {
        String level = "warn";
        for (String a : args) {
            if (a.equals("--debug")) {
                level = "debug";
            } else if ((a.equals("-v") || a.equals("--verbose")) && !level.equals("debug")) {
                level = "info";
            }
        }
        boolean debug = level.equals("debug");
        setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", debug ? "debug" : "off");
        setIfAbsent("org.slf4j.simpleLogger.log.com.mintreplica", level);
        setIfAbsent("org.slf4j.simpleLogger.logFile", "System.err");
        setIfAbsent("org.slf4j.simpleLogger.showThreadName", "false");
        // Without --debug a warning is "WARN PATH: what": the logger's name ("WARN TreeWriter - ...") says nothing
        // to an operator. (slf4j-simple 2.0.17 reads warnLevelString but no longer uses it, so "WARN" it stays.)
        setIfAbsent("org.slf4j.simpleLogger.showShortLogName", debug ? "true" : "false");
        setIfAbsent("org.slf4j.simpleLogger.showLogName", debug ? "true" : "false");
        Class<?> command = commandNamed(args);
        if (!debug && command == BackupCommand.class) {
            // `backup` prints each warning of the run itself, once, after the progress line is gone.
            setIfAbsent("org.slf4j.simpleLogger.log." + com.mintreplica.backup.core.BackupPipeline.WARNINGS_LOGGER, "off");
        }
        if (!debug && (command == RunCommand.class || command == DaemonCommand.class)) {
            // `run` and `daemon` print each failed run themselves, with its error: once.
            setIfAbsent("org.slf4j.simpleLogger.log." + com.mintreplica.backup.jobs.JobRunner.FAILURES_LOGGER, "off");
        }
        if (!debug) {
            // java.util.logging (and commons-logging, which finds it) print INFO and above to stderr by default.
            // Silenced when a library first uses it, not here: starting its LogManager (which looks for a
            // LoggerFinder in every jar and module) cost 5-10 ms of every start, and most commands never log through it.
            setIfAbsent("java.util.logging.config.class", QuietJavaLogging.class.getName());
        }
    }

    /**
     * java.util.logging's configuration without {@code --debug}: no handlers, every logger off. The LogManager makes
     * one when it starts ({@code java.util.logging.config.class}, which it loads by name: hence public).
     */
    public static final class QuietJavaLogging {
        public QuietJavaLogging() throws java.io.IOException {
            java.util.logging.LogManager.getLogManager().readConfiguration(new java.io.ByteArrayInputStream(
                    "handlers=\n.level=OFF\n".getBytes(StandardCharsets.ISO_8859_1)));
        }
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {Version.tool(), "Java " + System.getProperty("java.version")};
        }
    }
}
