package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.jobs.BackupReport;
import com.mintreplica.backup.jobs.BackupReport.Copies;
import com.mintreplica.backup.jobs.BackupReport.Drill;
import com.mintreplica.backup.jobs.BackupReport.Job;
import com.mintreplica.backup.jobs.BackupReport.Key;
import com.mintreplica.backup.jobs.BackupReport.RepositoryInfo;
import com.mintreplica.backup.jobs.BackupReport.SnapshotPoint;
import com.mintreplica.backup.jobs.BackupReport.Verify;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** The page: every string escaped, one SVG point per data point, nothing fetched from anywhere. */
class HtmlReportTest {
    static final String EVIL = "<script>alert('x')</script>\"><img src=x onerror=alert(1)>&amp;";
    static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");

    /** A report with 5 snapshots (3 kept, 2 forgotten), 3 drills (one without a restore time), hostile strings everywhere. */
    static BackupReport hostile() {
        List<SnapshotPoint> snaps = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            snaps.add(new SnapshotPoint("20261126-0100" + i + "0-abcd" + i, NOW.minus(Duration.ofDays(5 - i)), EVIL,
                    1_000_000 + i, 1_000_000 - i * 100_000L, 10_000, i == 0 ? 900_000 : 20_000 + i, i >= 2,
                    i >= 2 ? List.of("last snapshot", EVIL) : List.of("no rule keeps it: the next run forgets it")));
        }
        List<Drill> drills = List.of(
                new Drill(NOW.minus(Duration.ofDays(3)), true, Optional.of("s1"), Optional.of(Duration.ofMillis(1500)),
                        Optional.of(Duration.ofHours(2)), "restore passed, " + EVIL),
                new Drill(NOW.minus(Duration.ofDays(2)), false, Optional.empty(), Optional.empty(), Optional.empty(), EVIL),
                new Drill(NOW.minus(Duration.ofDays(1)), true, Optional.of("s2"), Optional.of(Duration.ofMillis(2500)),
                        Optional.of(Duration.ofHours(3)), "restore passed"));
        Job job = new Job("files" + EVIL, "primary" + EVIL, Optional.of("0 1 * * *" + EVIL), Optional.of("keep 3 last"),
                snaps, drills, List.of(new Copies("primary", true, Optional.of(5), Optional.of(NOW), Optional.empty()),
                new Copies("offsite" + EVIL, false, Optional.empty(), Optional.empty(), Optional.of("cannot read " + EVIL))),
                Optional.empty(), List.of("its newest snapshot is late " + EVIL));
        RepositoryInfo repo = new RepositoryInfo("primary" + EVIL, "/srv/" + EVIL, true,
                List.of(new Key("ABCDEF" + EVIL, List.of("Ops <ops@example.com>", EVIL), Optional.of(NOW), Optional.of(NOW.plus(Duration.ofDays(10))), Optional.empty()),
                        new Key("123456", List.of(), Optional.empty(), Optional.empty(), Optional.of("key not in the config: expiry unknown " + EVIL))),
                Optional.of(new Verify(NOW, false, EVIL)), Optional.empty());
        return new BackupReport(NOW, Optional.of("/etc/" + EVIL + ".yaml"), List.of(job), List.of(repo));
    }

    @Test
    void every_string_of_the_report_is_escaped() {
        String page = HtmlReport.render(hostile());
        assertThat(page.toLowerCase()).doesNotContain("<script").doesNotContain("<img").doesNotContain("onerror=alert(1)>");
        assertThat(page).contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&amp;amp;");
        // the config path, the job name in an attribute, reasons, keys, the verify: all there, escaped
        assertThat(page).contains("/etc/&lt;script&gt;").contains("data-job=\"files&lt;script&gt;")
                .contains("last snapshot; &lt;script&gt;").contains("Ops &lt;ops@example.com&gt;");
    }

    @Test
    void escape_covers_markup_quotes_and_control_characters() {
        assertThat(HtmlReport.escape("a<b>&\"c'\u0000\n")).isEqualTo("a&lt;b&gt;&amp;&quot;c&#39;\uFFFD\n");
    }

    @Test
    void the_page_loads_nothing_and_runs_nothing() {
        String page = HtmlReport.render(hostile());
        assertThat(page).contains("Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\"");
        assertThat(page).doesNotContainPattern("(?i)(src|href)\\s*=\\s*\"(https?:|//)").doesNotContain("@import")
                .doesNotContainPattern("url\\(");
        assertThat(page.toLowerCase()).doesNotContain("<script").doesNotContain("<link");
    }

    @Test
    void each_chart_has_a_point_per_data_point_and_is_well_formed_svg() throws Exception {
        String page = HtmlReport.render(hostile());
        assertThat(points(page, "timeline", "kept")).isEqualTo(3);
        assertThat(points(page, "timeline", "gone")).isEqualTo(2);
        assertThat(points(page, "bytes", "size")).isEqualTo(5);
        assertThat(points(page, "bytes", "read")).isEqualTo(5);
        assertThat(points(page, "bytes", "stored")).isEqualTo(5);
        assertThat(points(page, "rto", "rto")).isEqualTo(2); // the failed drill has no restore time
        assertThat(points(page, "rpo", "rpo")).isEqualTo(2);
        Element bytes = svg(page, "bytes");
        assertThat(bytes.getAttribute("data-points")).isEqualTo("15");
        NodeList lines = bytes.getElementsByTagName("polyline");
        assertThat(lines.getLength()).isEqualTo(3);
        for (int i = 0; i < 3; i++) {
            assertThat(((Element) lines.item(i)).getAttribute("points").split(" ")).hasSize(5);
        }
        // higher value, higher point (smaller y): the first snapshot stored 900 kB, the others ~20 kB
        List<Double> storedY = new ArrayList<>();
        NodeList circles = bytes.getElementsByTagName("circle");
        for (int i = 0; i < circles.getLength(); i++) {
            Element c = (Element) circles.item(i);
            if (c.getAttribute("class").equals("pt stored")) {
                storedY.add(Double.parseDouble(c.getAttribute("cy")));
            }
        }
        assertThat(storedY.get(0)).isLessThan(storedY.get(1));
    }

    @Test
    void an_empty_config_renders_a_page_without_charts() {
        String page = HtmlReport.render(new BackupReport(NOW, Optional.empty(), List.of(), List.of()));
        assertThat(page).startsWith("<!DOCTYPE html>").contains("<h1>mint-backup report</h1>").doesNotContain("<svg");
    }

    @Test
    void expiring_and_expired_keys_are_marked() {
        String page = HtmlReport.render(hostile());
        assertThat(page).contains("<td class=\"warn\">2026-12-11 12:00 UTC</td>");
        assertThat(page).contains("expiry unknown");
    }

    static int points(String page, String chart, String series) throws Exception {
        Element svg = svg(page, chart);
        NodeList circles = svg.getElementsByTagName("circle");
        int n = 0;
        for (int i = 0; i < circles.getLength(); i++) {
            if (((Element) circles.item(i)).getAttribute("class").equals("pt " + series)) {
                n++;
            }
        }
        return n;
    }

    /** The chart {@code kind}, parsed as XML: it must be well-formed. */
    static Element svg(String page, String kind) throws Exception {
        Matcher m = Pattern.compile("<svg class=\"chart\"[^>]*data-chart=\"" + kind + "\".*?</svg>", Pattern.DOTALL).matcher(page);
        assertThat(m.find()).as("a %s chart", kind).isTrue();
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(m.group().getBytes(StandardCharsets.UTF_8)));
        return doc.getDocumentElement();
    }
}
