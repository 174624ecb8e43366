package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.testkit.gpg.GnuPGExtension;
import com.mintreplica.backup.testkit.http.FaultProxy;
import com.mintreplica.backup.testkit.http.FaultProxy.Fault;
import com.mintreplica.backup.testkit.s3.S3TestServer;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Transient is not damage, through the CLI: an {@code s3://} repository whose endpoint is a {@link FaultProxy} in front
 * of s3proxy (both in the test JVM). A byte flipped in transit on each object's first read does not make backup,
 * restore or verify call anything corrupt; a pack damaged differently on every read is named, and called damage in
 * transit rather than in the store; a LIST cut off by a connection reset is asked for again; an HTTP 501 says the store
 * does not implement the request, and no library log line or stack trace reaches the terminal. The last two run the
 * real {@code main} in a child JVM, since logging is set up once per JVM and the SDK logs to the JVM's own stderr.
 */
@Timeout(300)
class CliS3FaultTest {
    private static final String BUCKET = "backups";
    private static final String PREFIX = "mint/prod";

    @RegisterExtension
    static final GnuPGExtension OPS = GnuPGExtension.withKey("Ops <ops@mint.example>", "future-default");

    @TempDir
    Path temp;
    private S3TestServer s3;
    private FaultProxy proxy;
    private S3Client direct;
    private String repo;
    private Path data;
    private boolean encrypted;

    @BeforeEach
    void start() throws Exception {
        s3 = S3TestServer.start().exportCredentials();
        s3.createBucket(BUCKET);
        direct = s3.client();
        proxy = new FaultProxy(s3.endpoint());
        // Every request of the CLI goes through the proxy.
        repo = s3.repositoryUri(BUCKET, PREFIX, proxy.endpoint());

        data = temp.resolve("data");
        Random random = new Random(13);
        write(data.resolve("db/ledger.bin"), 3_000_000, random);
        write(data.resolve("db/journal.bin"), 1_200_000, random);
        for (int i = 0; i < 12; i++) {
            write(data.resolve("etc/conf-" + i + ".txt"), 1 + random.nextInt(40_000), random);
        }
        Files.writeString(data.resolve("notes.txt"), "notes\n");
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        direct.close();
        s3.close();
    }

    private static void write(Path file, int size, Random random) throws IOException {
        byte[] bytes = new byte[size];
        random.nextBytes(bytes);
        Files.createDirectories(file.getParent());
        Files.write(file, bytes);
    }

    /** The arguments, with the key to open the repository when it is encrypted. */
    private String[] args(String... args) {
        if (!encrypted || args[0].equals("init")) {
            return args;
        }
        return Stream.concat(Stream.of(args), Stream.of("--key", OPS.key().secretFile().toString(), "--passphrase-file",
                OPS.gpg().passphraseFile.toString())).toArray(String[]::new);
    }

    private Cli.Result run(String... args) {
        return Cli.run(args(args));
    }

    private Cli.Result ok(String... args) {
        Cli.Result r = run(args);
        assertThat(r.code()).as(r.toString()).isZero();
        return r;
    }

    private void init() {
        Cli.Result init = encrypted ? ok("init", "--repo", repo, "--encrypt-to", OPS.key().publicFile().toString())
                : ok("init", "--repo", repo);
        assertThat(init.out()).contains(encrypted ? "created encrypted chunked repository" : "chunked repository");
    }

    private String backup() {
        return ok("backup", "--repo", repo, data.toString()).out().split(" ")[1];
    }

    /** Flips one byte in the first {@code times} GETs of each object whose key matches; LISTs and the rest pass. */
    private static FaultProxy.Plan flipFirstGets(int times, Predicate<String> which) {
        ConcurrentHashMap<String, AtomicInteger> gets = new ConcurrentHashMap<>();
        return (method, target, n) -> {
            String path = target.contains("?") ? target.substring(0, target.indexOf('?')) : target;
            boolean get = method.equals("GET") && !target.contains("list-type=2") && which.test(path);
            return get && gets.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet() <= times
                    ? Fault.FLIP_BYTE_IN_RESPONSE_BODY : Fault.NONE;
        };
    }

    /** The paths of the GETs whose response body the proxy damaged since {@code from}. */
    private List<String> flippedSince(int from) {
        return proxy.seen().subList(from, proxy.seen().size()).stream()
                .filter(s -> s.fault() == Fault.FLIP_BYTE_IN_RESPONSE_BODY).map(FaultProxy.Seen::target).toList();
    }

    private static void assertSameTree(Path expected, Path actual) throws IOException {
        assertThat(files(actual).keySet()).isEqualTo(files(expected).keySet());
        for (String file : files(expected).keySet()) {
            assertThat(actual.resolve(file)).as(file).hasSameBinaryContentAs(expected.resolve(file));
        }
    }

    private static TreeMap<String, Path> files(Path root) throws IOException {
        TreeMap<String, Path> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            walk.filter(Files::isRegularFile).forEach(p -> files.put(root.relativize(p).toString(), p));
        }
        return files;
    }

    private Path restored(Path target) {
        return target.resolve(data.toString().substring(1));
    }

    private List<String> keys(String under) {
        return direct.listObjectsV2Paginator(r -> r.bucket(BUCKET).prefix(PREFIX + "/" + under)).contents().stream()
                .sorted(Comparator.comparingLong(S3Object::size).reversed()).map(S3Object::key).toList();
    }

    @ParameterizedTest(name = "encrypted={0}")
    @ValueSource(booleans = {false, true})
    void bytes_flipped_once_in_transit_are_read_again_and_backup_restore_and_verify_exit_0(boolean encrypted)
            throws Exception {
        this.encrypted = encrypted;
        init();
        String first = backup();

        // Each command reads every object it needs once damaged on the way: the config, the keys, the index objects,
        // the snapshots and each range of a pack.
        int from = proxy.seen().size();
        proxy.plan(flipFirstGets(1, path -> true));
        Cli.Result second = run("backup", "--repo", repo, data.toString());
        assertThat(second.code()).as(second.toString()).isZero();
        assertThat(second.toString()).doesNotContainIgnoringCase("corrupt").doesNotContain("damaged");
        List<String> flipped = flippedSince(from);
        assertThat(flipped).as("the second backup read them damaged once")
                .anyMatch(t -> t.endsWith("/config")).anyMatch(t -> t.contains("/index/"));
        if (encrypted) {
            assertThat(flipped).anyMatch(t -> t.contains("/keys/"));
        }

        from = proxy.seen().size();
        proxy.plan(flipFirstGets(1, path -> true));
        Path target = temp.resolve("restored");
        Cli.Result restore = run("restore", "--repo", repo, first, "--target", target.toString());
        assertThat(restore.code()).as(restore.toString()).isZero();
        assertThat(restore.toString()).doesNotContainIgnoringCase("corrupt").doesNotContain("damaged");
        assertSameTree(data, restored(target));
        assertThat(flippedSince(from)).anyMatch(t -> t.contains("/snapshots/")).anyMatch(t -> t.contains("/data/"));

        from = proxy.seen().size();
        proxy.plan(flipFirstGets(1, path -> true));
        Cli.Result verify = run("verify", "--repo", repo, "--read-data");
        assertThat(verify.code()).as(verify.toString()).isZero();
        assertThat(verify.out()).contains("no problems found").contains("2 snapshots checked");
        assertThat(verify.toString()).doesNotContainIgnoringCase("corrupt").doesNotContain("not in any index");
        assertThat(flippedSince(from)).anyMatch(t -> t.contains("/data/")).anyMatch(t -> t.contains("/index/"));
    }

    @Test
    void a_pack_damaged_on_every_read_is_named_and_called_damage_in_transit_by_restore_and_verify() throws Exception {
        encrypted = true;
        init();
        String id = backup();
        String pack = keys("data/").get(0);

        // Every read of one pack brings differently damaged bytes: the stored pack is intact, the way there is not.
        proxy.plan(flipFirstGets(Integer.MAX_VALUE, path -> path.endsWith("/" + pack)));
        Path target = temp.resolve("restored");
        Run restore = java(args("restore", "--repo", repo, id, "--target", target.toString()));
        assertThat(restore.code()).as(restore.toString()).isEqualTo(MintBackup.FAILED);
        assertThat(restore.err()).as(restore.toString()).contains(pack.substring(PREFIX.length() + 1))
                .contains("arrived damaged 5 times").contains("different bytes each time")
                .contains("the stored object may be intact");
        assertNoLibraryLogLines(restore);

        Cli.Result verify = run("verify", "--repo", repo, "--read-data");
        assertThat(verify.code()).as(verify.toString()).isEqualTo(MintBackup.FAILED);
        assertThat(verify.err()).contains(pack.substring(PREFIX.length() + 1)).contains("arrived damaged")
                .contains("different bytes each time").contains("verify found");
        assertThat(proxy.seen()).filteredOn(s -> s.fault() == Fault.FLIP_BYTE_IN_RESPONSE_BODY)
                .allMatch(s -> s.target().contains(pack));

        // The same pack read through an undamaged way restores: nothing in the store was ever damaged.
        proxy.plan((method, t, n) -> Fault.NONE);
        Path again = temp.resolve("again");
        ok("restore", "--repo", repo, id, "--target", again.toString());
        assertSameTree(data, restored(again));
    }

    @Test
    void a_list_response_reset_in_the_middle_is_asked_for_again_by_list_and_verify() throws Exception {
        init();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Files.writeString(data.resolve("notes.txt"), "notes, version " + i + "\n");
            ids.add(backup());
        }

        // The first answer to each LIST (snapshots, index, locks, ...) is cut off by a reset after 64 bytes of XML.
        ConcurrentHashMap<String, AtomicInteger> lists = new ConcurrentHashMap<>();
        proxy.plan((method, target, n) -> method.equals("GET") && target.contains("list-type=2")
                && lists.computeIfAbsent(target, t -> new AtomicInteger()).incrementAndGet() == 1
                ? Fault.RESET_IN_RESPONSE_BODY : Fault.NONE);
        Cli.Result list = run("list", "--repo", repo);
        assertThat(list.code()).as(list.toString()).isZero();
        assertThat(list.out()).contains(ids);
        long resets = proxy.faults();
        assertThat(resets).as("the list command's listings were cut off").isPositive();
        assertThat(proxy.seen()).filteredOn(s -> s.fault() == Fault.RESET_IN_RESPONSE_BODY)
                .anyMatch(s -> s.target().contains("snapshots"));

        lists.clear();
        Cli.Result verify = run("verify", "--repo", repo);
        assertThat(verify.code()).as(verify.toString()).isZero();
        assertThat(verify.out()).contains("no problems found").contains("3 snapshots checked");
        assertThat(proxy.faults()).as("verify's listings were cut off too").isGreaterThan(resets);
        assertThat(list.toString() + verify).doesNotContain("Could not parse XML").doesNotContain("SDK Attempt Count");
    }

    @Test
    void an_http_501_says_the_store_does_not_implement_the_request_without_a_stack_trace_or_sdk_log_line()
            throws Exception {
        init();
        backup();

        // The lock a backup writes first is a conditional PUT (If-None-Match), which some S3-compatible stores lack.
        proxy.plan((method, target, n) -> method.equals("PUT") && target.contains("/locks/")
                ? Fault.NOT_IMPLEMENTED_501 : Fault.NONE);
        Run backup = java(args("backup", "--repo", repo, data.toString()));
        assertThat(backup.code()).as(backup.toString()).isEqualTo(MintBackup.FAILED);
        assertThat(backup.err()).contains("HTTP 501").contains("the store does not implement this request")
                .contains("atomicCreate=false").doesNotContain("try again later");
        assertNoLibraryLogLines(backup);
        assertThat(proxy.seen()).filteredOn(s -> s.fault() == Fault.NOT_IMPLEMENTED_501).hasSize(1);

        // A read the store does not implement: the same words, once, and no retries.
        proxy.plan((method, target, n) -> method.equals("GET") && target.contains("/snapshots/")
                && !target.contains("list-type=2") ? Fault.NOT_IMPLEMENTED_501 : Fault.NONE);
        int from = proxy.seen().size();
        Run restore = java(args("restore", "--repo", repo, "latest", "--target", temp.resolve("r").toString()));
        assertThat(restore.code()).as(restore.toString()).isNotZero();
        assertThat(restore.err()).contains("HTTP 501").contains("the store does not implement this request")
                .doesNotContain("try again later");
        assertNoLibraryLogLines(restore);
        assertThat(proxy.seen().subList(from, proxy.seen().size()))
                .filteredOn(s -> s.fault() == Fault.NOT_IMPLEMENTED_501).as("a 501 is not retried").hasSize(1);
    }

    private static void assertNoLibraryLogLines(Run run) {
        assertThat(run.err()).as(run.toString()).doesNotContain("\tat ").doesNotContain("ERROR").doesNotContain("WARN")
                .doesNotContain("software.amazon").doesNotContain("Exception");
        assertThat(run.err().lines()).as(run.toString()).allMatch(l -> l.startsWith("mint-backup: "));
    }

    private record Run(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "\n--- stderr\n" + err;
        }
    }

    /**
     * Runs the real {@code main} in a child JVM, as a terminal would: logging is set up there as for an operator, and
     * anything a library logs reaches this stderr. Credentials come from the environment, as the SDK's chain reads them.
     */
    private Run java(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), MintBackup.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Map<String, String> env = builder.environment();
        env.putAll(s3.credentialsEnvironment());
        Process p = builder.start();
        try {
            var err = java.util.concurrent.CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
            String out = readAll(p.getInputStream());
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("the CLI ends").isTrue();
            return new Run(p.exitValue(), out, err.get(10, TimeUnit.SECONDS));
        } finally {
            p.destroyForcibly();
        }
    }

    private static String readAll(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
