package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code restore --mirror --dry-run} and the restore itself count what the mirror deletes alike (explorers' E-F8: the
 * dry run counted every entry below a directory a file of the snapshot replaces, the restore did not count them: 5
 * against 3). The packaged CLI runs in its own JVM, so its information lines ({@code -v}) are what an operator reads.
 */
@Timeout(180)
class CliMirrorCountIT {
    private static final Path JAR = Path.of("target", "mint-backup.jar").toAbsolutePath();

    @TempDir
    Path temp;

    private String cli(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", JAR.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("XDG_CACHE_HOME", temp.resolve("cache").toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    private static int count(String output, String pattern) {
        Matcher m = Pattern.compile(pattern).matcher(output);
        assertThat(m.find()).as(output).isTrue();
        return Integer.parseInt(m.group(1));
    }

    @Test
    void the_dry_run_counts_what_the_mirror_then_deletes() throws Exception {
        Path source = Files.createDirectories(temp.resolve("src/sub"));
        Files.writeString(source.resolve("x.txt"), "x");
        Files.writeString(source.resolveSibling("top.txt"), "top");
        String repo = temp.resolve("repo").toString();
        Path target = temp.resolve("t");
        cli("init", "-q", "--repo", repo);
        cli("backup", "-q", "--repo", repo, temp.resolve("src").toString());
        cli("restore", "-q", "--repo", repo, "latest", "--target", target.toString());

        Path restored = target.resolve(temp.resolve("src").toString().substring(1));
        Files.createDirectories(restored.resolve("junkdir"));
        Files.writeString(restored.resolve("junkdir/f"), "j");
        Files.writeString(restored.resolve("junk"), "junk");
        Files.delete(restored.resolve("sub/x.txt"));
        Files.createDirectories(restored.resolve("sub/x.txt"));
        Files.writeString(restored.resolve("sub/x.txt/inner"), "i");

        String dry = cli("restore", "-v", "--repo", repo, "latest", "--target", target.toString(), "--mirror", "--dry-run");
        int wouldDelete = count(dry, "and delete (\\d+) not in the snapshot");
        String real = cli("restore", "-v", "--repo", repo, "latest", "--target", target.toString(), "--mirror");
        int deleted = count(real, "--mirror deleted (\\d+) entr");
        // junkdir/f, junkdir, junk, and the directory sub/x.txt with its inner file
        assertThat(wouldDelete).as(dry).isEqualTo(5);
        assertThat(deleted).as(real).isEqualTo(5);
        assertThat(restored.resolve("sub/x.txt")).hasContent("x");
        assertThat(restored.resolve("junkdir")).doesNotExist();
    }
}
