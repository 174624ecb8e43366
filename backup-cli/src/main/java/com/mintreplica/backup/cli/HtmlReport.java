package com.mintreplica.backup.cli;

import com.mintreplica.backup.jobs.BackupReport;
import com.mintreplica.backup.jobs.BackupReport.Copies;
import com.mintreplica.backup.jobs.BackupReport.Drill;
import com.mintreplica.backup.jobs.BackupReport.Job;
import com.mintreplica.backup.jobs.BackupReport.Key;
import com.mintreplica.backup.jobs.BackupReport.RepositoryInfo;
import com.mintreplica.backup.jobs.BackupReport.SnapshotPoint;
import com.mintreplica.backup.jobs.JobResult;
import com.mintreplica.backup.jobs.JobStatus;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.DoubleFunction;

/**
 * Renders a {@link BackupReport} as one self-contained HTML page: no script, no external font, image or style (a
 * Content-Security-Policy of {@code default-src 'none'} makes the browser refuse any that slipped in), charts as
 * inline SVG, and every string from the report HTML-escaped (a job or file named {@code <script>} is shown, not run).
 *
 * <p>Each chart is an {@code <svg class="chart" data-chart="KIND">} whose points are {@code <circle class="pt ...">}
 * elements, one per data point and series, with {@code data-points} holding their count: tests and scrapers count
 * them. Kinds: {@code timeline} (a dot per snapshot, kept or forgotten by retention), {@code bytes} (size, bytes read
 * and bytes stored per snapshot: deduplication), {@code rto} and {@code rpo} (per drill).
 */
final class HtmlReport {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);
    private static final Duration KEY_WARNING = Duration.ofDays(30);
    static final int WIDTH = 640;
    static final int HEIGHT = 150;
    private static final int PAD_LEFT = 64;
    private static final int PAD = 14;

    private final StringBuilder out = new StringBuilder(16_384);
    private final BackupReport report;

    private HtmlReport(BackupReport report) {
        this.report = report;
    }

    /** The page for {@code report}. */
    static String render(BackupReport report) {
        return new HtmlReport(report).page();
    }

    /** {@code text} safe in HTML text and in quoted attribute values. */
    static String escape(String text) {
        StringBuilder sb = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> {
                    if (c < 0x20 && c != '\n' && c != '\t') {
                        sb.append('\uFFFD'); // control characters are not allowed in HTML text
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.toString();
    }

    private HtmlReport text(String s) {
        out.append(escape(s));
        return this;
    }

    private HtmlReport raw(String s) {
        out.append(s);
        return this;
    }

    private String page() {
        raw("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
        raw("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n");
        raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        raw("<title>mint-backup report</title>\n<style>").raw(STYLE).raw("</style></head>\n<body>\n");
        raw("<h1>mint-backup report</h1>\n<p class=\"meta\">Generated ").text(time(report.generated()));
        report.config().ifPresent(c -> raw(" from <code>").text(c).raw("</code>"));
        raw("</p>\n");
        summary();
        for (int i = 0; i < report.jobs().size(); i++) {
            job(report.jobs().get(i), i);
        }
        repositories();
        raw("</body></html>\n");
        return out.toString();
    }

    private void summary() {
        raw("<h2>Jobs</h2>\n<table class=\"summary\"><thead><tr><th>Job</th><th>State</th><th>Newest snapshot</th>"
                + "<th>Snapshots</th><th>Last run</th><th>Last drill</th></tr></thead><tbody>\n");
        for (int i = 0; i < report.jobs().size(); i++) {
            Job j = report.jobs().get(i);
            boolean ok = j.warnings().isEmpty();
            raw("<tr><td><a href=\"#job-").raw(String.valueOf(i)).raw("\">").text(j.name()).raw("</a></td>");
            raw("<td class=\"").raw(ok ? "ok" : "bad").raw("\">").text(ok ? "OK" : "ATTENTION").raw("</td><td>");
            Optional<SnapshotPoint> newest = j.snapshots().isEmpty() ? Optional.empty()
                    : Optional.of(j.snapshots().get(j.snapshots().size() - 1));
            text(newest.map(s -> time(s.time()) + " (" + JobStatus.words(Duration.between(s.time(), report.generated()))
                    + " old)").orElse("none"));
            raw("</td><td>").text(String.valueOf(j.snapshots().size())).raw("</td><td>");
            text(j.lastRun().map(r -> time(r.finished()) + " " + r.outcome().name().toLowerCase(Locale.ROOT)).orElse("never"));
            raw("</td><td>");
            Optional<Drill> last = j.drills().isEmpty() ? Optional.empty() : Optional.of(j.drills().get(j.drills().size() - 1));
            if (last.isPresent()) {
                raw("<span class=\"").raw(last.get().passed() ? "ok" : "bad").raw("\">")
                        .text((last.get().passed() ? "passed " : "FAILED ") + time(last.get().time())).raw("</span>");
            } else {
                text("none recorded");
            }
            raw("</td></tr>\n");
        }
        raw("</tbody></table>\n");
    }

    private void job(Job j, int index) {
        raw("<section class=\"job\" id=\"job-").raw(String.valueOf(index)).raw("\">\n<h2>Job ").text(j.name()).raw("</h2>\n");
        raw("<p class=\"meta\">Repository <b>").text(j.repository()).raw("</b> · schedule ")
                .text(j.schedule().orElse("by hand")).raw(" · retention ")
                .text(j.retention().orElse("none (everything is kept)")).raw("</p>\n");
        if (!j.warnings().isEmpty()) {
            raw("<ul class=\"warnings\">");
            for (String w : j.warnings()) {
                raw("<li>").text(w).raw("</li>");
            }
            raw("</ul>\n");
        }
        if (j.lastRun().filter(r -> r.outcome() == JobResult.Outcome.FAILED).isPresent()) {
            JobResult r = j.lastRun().get();
            raw("<p class=\"bad\">Last run failed at ").text(time(r.finished())).raw(": ").text(r.error().orElse("")).raw("</p>\n");
        }

        List<SnapshotPoint> snaps = j.snapshots();
        raw("<h3>Snapshots over time</h3>\n");
        List<Point> kept = new ArrayList<>();
        List<Point> gone = new ArrayList<>();
        for (SnapshotPoint s : snaps) {
            Point p = new Point(s.time(), 1, s.id() + " · " + time(s.time()) + " · " + s.host() + " · "
                    + (s.kept() ? "kept: " : "forgotten next run: ") + String.join("; ", s.reasons()));
            (s.kept() ? kept : gone).add(p);
        }
        chart("timeline", j.name(), List.of(new Series("kept", "kept", kept, false),
                new Series("forgotten next run", "gone", gone, false)), v -> "", false);

        raw("<h3>Bytes read and stored (deduplication)</h3>\n");
        List<Point> size = new ArrayList<>();
        List<Point> read = new ArrayList<>();
        List<Point> stored = new ArrayList<>();
        long totalSize = 0;
        long totalRead = 0;
        long totalStored = 0;
        for (SnapshotPoint s : snaps) {
            size.add(new Point(s.time(), s.totalBytes(), s.id() + ": " + Format.bytes(s.totalBytes()) + " in the snapshot"));
            totalSize += s.totalBytes();
            read.add(new Point(s.time(), s.bytesRead(), s.id() + ": " + Format.bytes(s.bytesRead()) + " read"));
            stored.add(new Point(s.time(), s.bytesStored(), s.id() + ": " + Format.bytes(s.bytesStored()) + " stored"));
            totalRead += s.bytesRead();
            totalStored += s.bytesStored();
        }
        chart("bytes", j.name(), List.of(new Series("snapshot size", "size", size, true),
                new Series("read from the source", "read", read, true),
                new Series("stored in the repository", "stored", stored, true)), v -> Format.bytes((long) v), true);
        if (totalSize > 0) {
            raw("<p class=\"meta\">In all: ").text(Format.bytes(totalSize)).raw(" in ").text(String.valueOf(snaps.size()))
                    .raw(" snapshots, ").text(Format.bytes(totalRead)).raw(" read, ").text(Format.bytes(totalStored))
                    .raw(" stored (").text(String.format(Locale.ROOT, "%.1f%%", 100.0 * totalStored / totalSize))
                    .raw(" of the snapshots' size)</p>\n");
        }

        raw("<h3>Retention: what is kept and why</h3>\n");
        if (snaps.isEmpty()) {
            raw("<p class=\"meta\">No snapshots.</p>\n");
        } else {
            raw("<table class=\"retention\"><thead><tr><th>Snapshot</th><th>Taken</th><th>Host</th><th>Size</th>"
                    + "<th>Decision</th><th>Why</th></tr></thead><tbody>\n");
            for (int i = snaps.size() - 1; i >= 0; i--) {
                SnapshotPoint s = snaps.get(i);
                raw("<tr><td><code>").text(s.id()).raw("</code></td><td>").text(time(s.time())).raw("</td><td>")
                        .text(s.host()).raw("</td><td>").text(Format.bytes(s.totalBytes())).raw("</td><td class=\"")
                        .raw(s.kept() ? "ok" : "warn").raw("\">").text(s.kept() ? "kept" : "forgotten next run")
                        .raw("</td><td>").text(String.join("; ", s.reasons())).raw("</td></tr>\n");
            }
            raw("</tbody></table>\n");
        }

        raw("<h3>Restore drills: RTO and RPO</h3>\n");
        List<Point> rto = new ArrayList<>();
        List<Point> rpo = new ArrayList<>();
        for (Drill d : j.drills()) {
            d.restoreTime().ifPresent(t -> rto.add(new Point(d.time(), t.toMillis() / 1000.0,
                    time(d.time()) + ": restored in " + words(t))));
            d.snapshotAge().ifPresent(a -> rpo.add(new Point(d.time(), a.toMillis() / 1000.0,
                    time(d.time()) + ": snapshot " + words(a) + " old")));
        }
        if (j.drills().isEmpty()) {
            raw("<p class=\"meta\">No drill in the audit log (run <code>mint-backup drill</code> with an audit log).</p>\n");
        } else {
            raw("<div class=\"pair\"><div><h4>Restore time (RTO)</h4>\n");
            chart("rto", j.name(), List.of(new Series("restore time", "rto", rto, true)), HtmlReport::seconds, true);
            raw("</div><div><h4>Snapshot age at the drill (RPO)</h4>\n");
            chart("rpo", j.name(), List.of(new Series("snapshot age", "rpo", rpo, true)), HtmlReport::seconds, true);
            raw("</div></div>\n<table class=\"drills\"><thead><tr><th>Drill</th><th>Result</th><th>Snapshot</th><th>RTO</th>"
                    + "<th>RPO</th><th>Detail</th></tr></thead><tbody>\n");
            for (int i = j.drills().size() - 1; i >= 0; i--) {
                Drill d = j.drills().get(i);
                raw("<tr><td>").text(time(d.time())).raw("</td><td class=\"").raw(d.passed() ? "ok" : "bad").raw("\">")
                        .text(d.passed() ? "passed" : "FAILED").raw("</td><td><code>").text(d.snapshot().orElse("-"))
                        .raw("</code></td><td>").text(d.restoreTime().map(HtmlReport::words).orElse("-")).raw("</td><td>")
                        .text(d.snapshotAge().map(HtmlReport::words).orElse("-")).raw("</td><td>").text(d.detail())
                        .raw("</td></tr>\n");
            }
            raw("</tbody></table>\n");
        }

        raw("<h3>Copies per repository</h3>\n<table class=\"copies\"><thead><tr><th>Repository</th><th>Role</th>"
                + "<th>Snapshots of this job</th><th>Newest</th></tr></thead><tbody>\n");
        for (Copies c : j.copies()) {
            raw("<tr><td>").text(c.repository()).raw("</td><td>").text(c.primary() ? "primary" : "copy").raw("</td><td>");
            if (c.problem().isPresent()) {
                raw("<span class=\"bad\">").text(c.problem().get()).raw("</span>");
            } else {
                text(String.valueOf(c.snapshots().orElse(0)));
            }
            raw("</td><td>").text(c.newest().map(HtmlReport::time).orElse("-")).raw("</td></tr>\n");
        }
        raw("</tbody></table>\n</section>\n");
    }

    private void repositories() {
        raw("<section class=\"repositories\">\n<h2>Repositories</h2>\n");
        for (RepositoryInfo r : report.repositories()) {
            raw("<h3>").text(r.name()).raw("</h3>\n<p class=\"meta\"><code>").text(r.location()).raw("</code> · ")
                    .text(r.encrypted() ? "encrypted" : "not encrypted").raw("</p>\n<p>Last verify: ");
            if (r.lastVerify().isPresent()) {
                BackupReport.Verify v = r.lastVerify().get();
                raw("<span class=\"").raw(v.ok() ? "ok" : "bad").raw("\">").text((v.ok() ? "no problems, " : "FAILED, ")
                        + time(v.time()) + " (" + JobStatus.words(Duration.between(v.time(), report.generated())) + " ago)")
                        .raw("</span>: ").text(v.detail());
            } else {
                text("none in the audit log (run mint-backup verify --audit-log F)");
            }
            raw("</p>\n");
            r.problem().ifPresent(p -> raw("<p class=\"bad\">").text(p).raw("</p>\n"));
            if (r.encrypted() && !r.keys().isEmpty()) {
                raw("<table class=\"keys\"><thead><tr><th>Key</th><th>User ids</th><th>Added</th><th>Expires</th></tr>"
                        + "</thead><tbody>\n");
                for (Key k : r.keys()) {
                    String cls = k.expires().map(e -> e.isBefore(report.generated()) ? "bad"
                            : e.isBefore(report.generated().plus(KEY_WARNING)) ? "warn" : "ok").orElse("");
                    raw("<tr><td><code>").text(k.fingerprint()).raw("</code></td><td>").text(String.join(", ", k.userIds()))
                            .raw("</td><td>").text(k.added().map(HtmlReport::time).orElse("-")).raw("</td><td class=\"")
                            .raw(cls).raw("\">");
                    text(k.expires().map(e -> (e.isBefore(report.generated()) ? "EXPIRED " : "") + time(e))
                            .orElse(k.note().isPresent() ? "" : "never"));
                    k.note().ifPresent(n -> raw(" <span class=\"meta\">").text(n).raw("</span>"));
                    raw("</td></tr>\n");
                }
                raw("</tbody></table>\n");
            }
        }
        raw("</section>\n");
    }

    private record Point(Instant time, double value, String title) {
    }

    private record Series(String name, String cssClass, List<Point> points, boolean line) {
    }

    /** One SVG chart: time on x, values from 0 on y; a circle per point, with its title as tooltip. */
    private void chart(String kind, String job, List<Series> series, DoubleFunction<String> yLabel, boolean yAxis) {
        int count = series.stream().mapToInt(s -> s.points().size()).sum();
        if (count == 0) {
            raw("<p class=\"meta\">No data.</p>\n");
            return;
        }
        long minX = Long.MAX_VALUE;
        long maxX = Long.MIN_VALUE;
        double maxY = 0;
        for (Series s : series) {
            int radius = series.size() > 1 ? 6 - 2 * Math.min(2, series.indexOf(s)) : 4;
            for (Point p : s.points()) {
                minX = Math.min(minX, p.time().getEpochSecond());
                maxX = Math.max(maxX, p.time().getEpochSecond());
                maxY = Math.max(maxY, p.value());
            }
        }
        if (maxY <= 0) {
            maxY = 1;
        }
        long spanX = Math.max(1, maxX - minX);
        double plotW = WIDTH - PAD_LEFT - PAD;
        double plotH = HEIGHT - 2 * PAD - 12;
        raw("<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" data-chart=\"").raw(kind).raw("\" data-job=\"")
                .text(job).raw("\" data-points=\"").raw(String.valueOf(count)).raw("\" width=\"").raw(String.valueOf(WIDTH))
                .raw("\" height=\"").raw(String.valueOf(HEIGHT)).raw("\" viewBox=\"0 0 ").raw(WIDTH + " " + HEIGHT)
                .raw("\" role=\"img\"><title>").text(kind + " of job " + job).raw("</title>\n");
        double baseY = PAD + plotH;
        raw("<line class=\"axis\" x1=\"" + PAD_LEFT + "\" y1=\"" + fmt(baseY) + "\" x2=\"" + (WIDTH - PAD) + "\" y2=\""
                + fmt(baseY) + "\"/>\n");
        if (yAxis) {
            raw("<line class=\"axis\" x1=\"" + PAD_LEFT + "\" y1=\"" + PAD + "\" x2=\"" + PAD_LEFT + "\" y2=\"" + fmt(baseY) + "\"/>\n");
            raw("<text class=\"lbl\" x=\"" + (PAD_LEFT - 4) + "\" y=\"" + (PAD + 4) + "\" text-anchor=\"end\">").text(yLabel.apply(maxY))
                    .raw("</text>\n<text class=\"lbl\" x=\"" + (PAD_LEFT - 4) + "\" y=\"" + fmt(baseY) + "\" text-anchor=\"end\">")
                    .text(yLabel.apply(0)).raw("</text>\n");
        }
        raw("<text class=\"lbl\" x=\"" + PAD_LEFT + "\" y=\"" + (HEIGHT - 4) + "\">").text(time(Instant.ofEpochSecond(minX)))
                .raw("</text>\n<text class=\"lbl\" x=\"" + (WIDTH - PAD) + "\" y=\"" + (HEIGHT - 4) + "\" text-anchor=\"end\">")
                .text(time(Instant.ofEpochSecond(maxX))).raw("</text>\n");
        int legendX = PAD_LEFT + 8;
        for (Series s : series) {
            StringBuilder path = new StringBuilder();
            StringBuilder dots = new StringBuilder();
            int radius = series.size() > 1 ? 6 - 2 * Math.min(2, series.indexOf(s)) : 4;
            for (Point p : s.points()) {
                double x = PAD_LEFT + (minX == maxX ? plotW / 2 : plotW * (p.time().getEpochSecond() - minX) / spanX);
                double y = yAxis ? baseY - plotH * p.value() / maxY : PAD + plotH / 2;
                path.append(path.length() == 0 ? "" : " ").append(fmt(x)).append(',').append(fmt(y));
                dots.append("<circle class=\"pt ").append(s.cssClass()).append("\" cx=\"").append(fmt(x)).append("\" cy=\"")
                        .append(fmt(y)).append("\" r=\"").append(radius).append("\"><title>").append(escape(p.title())).append("</title></circle>\n");
            }
            if (s.line() && s.points().size() > 1) {
                raw("<polyline class=\"ln ").raw(s.cssClass()).raw("\" points=\"").raw(path.toString()).raw("\"/>\n");
            }
            raw(dots.toString());
            raw("<circle class=\"key " + s.cssClass() + "\" cx=\"" + legendX + "\" cy=\"" + (PAD - 6) + "\" r=\"4\"/>");
            raw("<text class=\"lbl\" x=\"" + (legendX + 7) + "\" y=\"" + (PAD - 2) + "\">").text(s.name()).raw("</text>\n");
            legendX += 18 + 7 * s.name().length();
        }
        raw("</svg>\n");
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    private static String seconds(double s) {
        return words(Duration.ofMillis(Math.round(s * 1000)));
    }

    private static String words(Duration d) {
        if (d.toMillis() < 60_000) {
            return String.format(Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
        }
        return JobStatus.words(d);
    }

    private static String time(Instant t) {
        return TIME.format(t);
    }

    private static final String STYLE = """
            body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:1000px;
            padding:0 16px;color:#1d2433;background:#fff}
            h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 8px;border-bottom:2px solid #d8dee9;padding-bottom:4px}
            h3{font-size:15px;margin:18px 0 6px}h4{font-size:13px;margin:6px 0}
            .meta{color:#5b6476;margin:4px 0}code{font:12px ui-monospace,Menlo,Consolas,monospace}
            table{border-collapse:collapse;width:100%;margin:6px 0 12px}th,td{text-align:left;padding:4px 8px;
            border-bottom:1px solid #e5e9f0;vertical-align:top}th{background:#f2f4f8;font-weight:600}
            .ok{color:#1a7f37;font-weight:600}.bad{color:#c62828;font-weight:700}.warn{color:#a35f00;font-weight:600}
            .warnings{background:#fff4e5;border-left:4px solid #e08a00;padding:8px 8px 8px 28px}
            .job{border:1px solid #e5e9f0;border-radius:6px;padding:0 16px 8px;margin:18px 0}
            svg.chart{display:block;background:#fafbfd;border:1px solid #e5e9f0;border-radius:4px;max-width:100%;height:auto}
            .axis{stroke:#9aa3b5;stroke-width:1}.lbl{font-size:10px;fill:#5b6476}
            .ln{fill:none;stroke-width:2}.ln.read{stroke:#2f6fde}.ln.stored{stroke:#e0582f}.ln.rto{stroke:#7b3fc4}
            .ln.rpo{stroke:#0f8a7a}.ln.size{stroke:#b9c3d6}.pt.size,.key.size{fill:#b9c3d6}.pt.read,.key.read{fill:#2f6fde}.pt.stored,.key.stored{fill:#e0582f}
            .pt.kept,.key.kept{fill:#1a7f37}.pt.gone,.key.gone{fill:#c9ced8;stroke:#8a93a6}
            .pt.rto,.key.rto{fill:#7b3fc4}.pt.rpo,.key.rpo{fill:#0f8a7a}
            .pair{display:flex;gap:16px;flex-wrap:wrap}.pair>div{flex:1 1 300px}
            """;
}
