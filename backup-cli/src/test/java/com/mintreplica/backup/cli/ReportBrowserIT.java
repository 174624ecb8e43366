package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report in a real browser: Debian's Chromium, headless (.ci/run installs it; without it these tests are skipped,
 * saying so). Chromium's own log ({@code --enable-logging=stderr}) carries every console message of the page, CSP
 * violations included, as {@code CONSOLE} lines: the page has no script, so any such line is a problem.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ReportBrowserIT {
    private static Path chromium;

    @TempDir
    Path temp;

    @BeforeAll
    static void findChromium() {
        Optional<Path> found = Stream.of(Optional.ofNullable(System.getenv("PATH")).orElse("/usr/bin:/bin").split(File.pathSeparator))
                .flatMap(dir -> Stream.of("chromium", "chromium-browser").map(n -> Path.of(dir, n)))
                .filter(Files::isExecutable).findFirst();
        assumeTrue(found.isPresent(), "chromium is not installed (apt-get install chromium; .ci/run does): browser tests skipped");
        chromium = found.get();
    }

    @Test
    void the_report_renders_with_its_charts_and_no_console_message() throws Exception {
        ReportFixture f = ReportFixture.build(temp);
        Path page = temp.resolve("report.html");
        Cli.Result r = Cli.run("report", "--config", f.config.toString(), "--html", page.toString());
        assertThat(r.code()).as(r.toString()).isZero();

        Path shot = temp.resolve("report.png");
        Browser screenshot = browse("--screenshot=" + shot, "--window-size=1100,2600", page.toUri().toString());
        assertThat(screenshot.console()).as("console messages").isEmpty();
        BufferedImage image = ImageIO.read(shot.toFile());
        assertThat(image).as("a PNG screenshot").isNotNull();
        assertThat(image.getWidth()).isEqualTo(1100);
        Set<Integer> colours = new HashSet<>();
        long inked = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int rgb = image.getRGB(x, y) & 0xFFFFFF;
                colours.add(rgb);
                if (rgb != 0xFFFFFF) {
                    inked++;
                }
            }
        }
        assertThat(colours.size()).as("colours in the screenshot (a blank page has one)").isGreaterThan(50);
        assertThat((double) inked / ((long) image.getWidth() * image.getHeight())).as("share of non-white pixels").isGreaterThan(0.02);
        // the charts were painted: the fill colours of kept snapshots, bytes read and stored, RTO and RPO points
        for (int colour : new int[] {0x1a7f37, 0x2f6fde, 0xe0582f, 0x7b3fc4, 0x0f8a7a}) {
            assertThat(has(image, colour)).as("pixels of #%06x", colour).isTrue();
        }

        Browser dom = browse("--dump-dom", page.toUri().toString());
        assertThat(dom.console()).as("console messages").isEmpty();
        assertPoints(dom.stdout(), f);
        // the host named like markup is text in the DOM, not an element
        assertThat(dom.stdout().toLowerCase()).doesNotContain("<script");
        assertThat(dom.stdout()).contains("&lt;script&gt;alert(1)&lt;/script&gt;");
    }

    @Test
    void the_daemon_serves_the_same_page_at_report() throws Exception {
        ReportFixture f = ReportFixture.build(temp);
        InProcessDaemon daemon = InProcessDaemon.start(Map.of(), "--config", f.config.toString(),
                "--metrics-address", "127.0.0.1:0");
        try {
            String url = daemon.awaitUrl("the HTML report at ");
            assertThat(url).endsWith("/report");
            HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url))
                    .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type")).contains("text/html; charset=utf-8");
            Browser dom = browse("--dump-dom", url);
            assertThat(dom.console()).as("console messages").isEmpty();
            assertPoints(dom.stdout(), f);
        } finally {
            daemon.stop(Duration.ofSeconds(60));
        }
        assertThat(daemon.isAlive()).isFalse();
        assertThat(daemon.exitCode()).isZero();
    }

    /** The check above would catch a page that runs a script or loads from the network: Chromium logs both. */
    @Test
    void the_console_check_sees_scripts_and_blocked_loads() throws Exception {
        String csp = "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">";
        Path bad = Files.writeString(temp.resolve("bad.html"), "<!DOCTYPE html><html><head>" + csp + "</head><body>"
                + "<script>console.error('boom')</script><img src=\"http://example.invalid/x.png\"></body></html>");
        List<String> console = browse("--dump-dom", bad.toUri().toString()).console();
        assertThat(console).anyMatch(l -> l.contains("Content Security Policy") && l.contains("inline script"));
        assertThat(console).anyMatch(l -> l.contains("http://example.invalid/x.png"));
        Path noCsp = Files.writeString(temp.resolve("script.html"), "<!DOCTYPE html><html><body>"
                + "<script>console.error('boom')</script></body></html>");
        assertThat(browse("--dump-dom", noCsp.toUri().toString()).console()).anyMatch(l -> l.contains("boom"));
    }

    private static void assertPoints(String dom, ReportFixture f) throws Exception {
        int kept = HtmlReportTest.points(dom, "timeline", "kept");
        assertThat(kept + HtmlReportTest.points(dom, "timeline", "gone")).isEqualTo(ReportFixture.DAYS);
        assertThat(kept).isEqualTo(2);
        assertThat(HtmlReportTest.points(dom, "bytes", "size")).isEqualTo(ReportFixture.DAYS);
        assertThat(HtmlReportTest.points(dom, "bytes", "read")).isEqualTo(ReportFixture.DAYS);
        assertThat(HtmlReportTest.points(dom, "bytes", "stored")).isEqualTo(ReportFixture.DAYS);
        assertThat(HtmlReportTest.points(dom, "rto", "rto")).isEqualTo(f.drills.size());
        assertThat(HtmlReportTest.points(dom, "rpo", "rpo")).isEqualTo(f.drills.size());
    }

    private static boolean has(BufferedImage image, int colour) {
        int r = colour >> 16 & 0xFF;
        int g = colour >> 8 & 0xFF;
        int b = colour & 0xFF;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int p = image.getRGB(x, y);
                if (Math.abs((p >> 16 & 0xFF) - r) <= 6 && Math.abs((p >> 8 & 0xFF) - g) <= 6 && Math.abs((p & 0xFF) - b) <= 6) {
                    return true;
                }
            }
        }
        return false;
    }

    record Browser(String stdout, String stderr) {
        /** The page's console messages (and CSP violations) as Chromium logs them. */
        List<String> console() {
            List<String> out = new ArrayList<>();
            stderr.lines().filter(l -> l.contains(":CONSOLE")).forEach(out::add);
            return out;
        }
    }

    /** Headless Chromium with its own profile, no network beyond the URL's host, logging to stderr; waits at most 90 s. */
    private Browser browse(String... args) throws IOException, InterruptedException {
        Path profile = Files.createTempDirectory(temp, "chromium-profile");
        List<String> cmd = new ArrayList<>(List.of(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile, "--enable-logging=stderr",
                "--v=0", "--hide-scrollbars"));
        cmd.addAll(List.of(args));
        Path stdout = Files.createTempFile(temp, "chromium", ".out");
        Path stderr = Files.createTempFile(temp, "chromium", ".err");
        Process p = new ProcessBuilder(cmd).redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError("chromium did not finish in 90 s: " + cmd + "\n" + Files.readString(stderr));
        }
        Browser b = new Browser(Files.readString(stdout), Files.readString(stderr));
        assertThat(p.exitValue()).as("chromium's exit code; stderr:\n%s", b.stderr()).isZero();
        return b;
    }

}
