package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The single-object layout puts each job's snapshots in a directory of their own ({@code files/<job>/<snapshot>/}),
 * so that in a repository shared by several jobs the last snapshot listed in a job's directory is that job's latest;
 * repositories written before keep restoring and pruning.
 */
class CliSingleLayoutJobsTest {
    @TempDir
    Path temp;

    private static Cli.Result ok(String... args) {
        Cli.Result r = Cli.run(args);
        assertThat(r.code()).as(r.toString()).isZero();
        return r;
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** The objects below a directory (prune deletes objects; a local repository may keep their empty directories). */
    private static List<Path> regularFiles(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).toList();
        }
    }

    private static String id(Cli.Result backup) {
        return backup.out().split(" ")[1];
    }

    @Test
    void each_jobs_snapshots_have_a_directory_whose_last_entry_is_the_jobs_latest() throws Exception {
        Path repo = temp.resolve("repo");
        Path dump = Files.writeString(temp.resolve("mint.sql"), "CREATE TABLE ledger (id int);\n");
        Path config = Files.writeString(temp.resolve("app.yaml"), "db: mint\n");
        ok("init", "--repo", repo.toString(), "--layout", "single");
        String db1 = id(ok("backup", "--repo", repo.toString(), "--job", "postgres-daily", "--time", "2026-11-23T01:00:00Z", dump.toString()));
        String db2 = id(ok("backup", "--repo", repo.toString(), "--job", "postgres-daily", "--time", "2026-11-24T01:00:00Z", dump.toString()));
        String files = id(ok("backup", "--repo", repo.toString(), "--job", "config-files", "--time", "2026-11-24T06:00:00Z", config.toString()));
        String adHoc = id(ok("backup", "--repo", repo.toString(), "--time", "2026-11-24T07:00:00Z", config.toString()));

        assertThat(names(repo.resolve("files"))).containsExactly(adHoc, "config-files", "postgres-daily");
        List<String> dbSnapshots = names(repo.resolve("files/postgres-daily"));
        assertThat(dbSnapshots).containsExactly(db1, db2);
        assertThat(dbSnapshots.get(dbSnapshots.size() - 1)).isEqualTo(db2);
        assertThat(repo.resolve("files/postgres-daily/" + db2 + dump.toString() + ".zst")).isRegularFile();
        assertThat(names(repo.resolve("files/config-files"))).containsExactly(files);

        Path out = temp.resolve("out");
        ok("restore", "--repo", repo.toString(), db2, "--target", out.toString());
        assertThat(out.resolve(dump.toString().substring(1))).hasContent("CREATE TABLE ledger (id int);\n");

        ok("prune", "--repo", repo.toString(), "--keep-last", "1", "--group-by", "job");
        assertThat(regularFiles(repo.resolve("files/postgres-daily"))).singleElement()
                .satisfies(f -> assertThat(f).startsWith(repo.resolve("files/postgres-daily/" + db2)));
        ok("verify", "--repo", repo.toString(), "--read-data");
    }

    @Test
    void a_repository_written_before_job_directories_keeps_restoring_and_pruning() throws Exception {
        Path repo = temp.resolve("old");
        copy(fixture("repositories/single-before-job-dirs"), repo);
        ok("verify", "--repo", repo.toString(), "--read-data");
        Path out = temp.resolve("out");
        ok("restore", "--repo", repo.toString(), "20261124-010000-a97cf9ef", "--target", out.toString());
        assertThat(out.resolve("tmp/hz/fx/data/mint.sql")).hasContent("CREATE TABLE ledger (id int);\n");

        Path dump = Files.writeString(temp.resolve("mint.sql"), "CREATE TABLE ledger (id bigint);\n");
        String next = id(ok("backup", "--repo", repo.toString(), "--job", "db", "--time", "2026-11-25T01:00:00Z", dump.toString()));
        assertThat(repo.resolve("files/db/" + next + dump + ".zst")).isRegularFile();

        ok("prune", "--repo", repo.toString(), "--keep-last", "1", "--group-by", "job");
        assertThat(regularFiles(repo.resolve("files/20261124-010000-a97cf9ef"))).isEmpty();
        assertThat(repo.resolve("files/20261124-060000-5a03f1cf/tmp/hz/fx/data/app.yaml.zst")).isRegularFile();
        ok("verify", "--repo", repo.toString(), "--read-data");
        Path again = temp.resolve("again");
        ok("restore", "--repo", repo.toString(), "20261124-060000-5a03f1cf", "--target", again.toString());
        assertThat(again.resolve("tmp/hz/fx/data/app.yaml")).hasContent("db: mint\n");
    }

    private static Path fixture(String name) throws URISyntaxException {
        return Path.of(CliSingleLayoutJobsTest.class.getClassLoader().getResource(name).toURI());
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }
}
