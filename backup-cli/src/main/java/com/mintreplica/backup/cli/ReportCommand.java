package com.mintreplica.backup.cli;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.crypto.KeyManager;
import com.mintreplica.backup.crypto.Recipient;
import com.mintreplica.backup.jobs.BackupReport;
import com.mintreplica.backup.jobs.BackupReport.Key;
import com.mintreplica.backup.jobs.JobRunner;
import com.mintreplica.backup.jobs.config.JobsConfig;
import com.mintreplica.backup.jobs.config.KeyConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.jcajce.JcaPGPObjectFactory;
import org.bouncycastle.util.encoders.Hex;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "report", description = {"Write an HTML report of the config's backups: per job its snapshots over time,"
        + " bytes read and stored, what retention keeps and why, drills with RTO and RPO, copies per repository; per"
        + " repository its last verify and its keys with their expiry.",
    "One self-contained file (no script, no network), charts as inline SVG. Verifies and drills come from the audit"
        + " log (the config's, or --audit-log F). `daemon --metrics-address` serves the same page at /report."})
final class ReportCommand implements Callable<Integer> {
    @ParentCommand
    MintBackup root;

    @Option(names = "--config", required = true, paramLabel = "F", description = "The jobs config (YAML).")
    Path config;

    @Option(names = "--html", required = true, paramLabel = "OUT.html", description = "Where to write the page ('-': stdout).")
    String html;

    @Override
    public Integer call() throws IOException {
        JobsConfig cfg = JobsSupport.load(config);
        String page = render(root, cfg, Instant.now());
        if (html.equals("-")) {
            root.out.print(page);
            root.out.flush();
            return MintBackup.OK;
        }
        Path out = Path.of(html).toAbsolutePath();
        if (Files.isDirectory(out)) {
            throw new InvalidInputException("--html " + html + " is a directory: give a file name, such as " + out.resolve("report.html"));
        }
        if (out.getParent() == null || !Files.isDirectory(out.getParent())) {
            throw new InvalidInputException("--html " + html + ": the directory " + out.getParent() + " does not exist");
        }
        Path tmp = Files.createTempFile(out.getParent(), ".report-", ".tmp");
        try {
            Files.writeString(tmp, page, StandardCharsets.UTF_8);
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
        if (!root.quiet) {
            root.out.println("report written to " + out);
        }
        return MintBackup.OK;
    }

    /** The page for {@code cfg} at {@code now}: what {@code report} writes and the daemon serves at /report. */
    static String render(MintBackup root, JobsConfig cfg, Instant now) {
        JobRunner runner = JobsSupport.runner(root, cfg);
        Optional<Path> audit = CliAudit.file(root).or(() -> cfg.audit().file());
        return HtmlReport.render(BackupReport.collect(runner, now, audit, (repo, sink) -> keys(cfg, KeyManager.recipients(sink))));
    }

    /**
     * The recipients of a repository, with the expiry of their keys read from the config's key files (a recipient
     * whose key the config does not hold gets a note instead). Expired keys are read too: they are what an auditor
     * looks for.
     */
    static List<Key> keys(JobsConfig cfg, List<Recipient> recipients) {
        Map<String, PGPPublicKeyRing> rings = new HashMap<>();
        for (KeyConfig k : cfg.keys().values()) {
            Optional<Path> file = k.publicKey().or(k::secretKey);
            if (file.isPresent()) {
                try {
                    for (PGPPublicKeyRing ring : rings(file.get())) {
                        rings.put(fingerprint(ring.getPublicKey()), ring);
                    }
                } catch (IOException | RuntimeException e) {
                    // unreadable here: its recipients get a note
                }
            }
        }
        List<Key> out = new ArrayList<>();
        for (Recipient r : recipients) {
            PGPPublicKeyRing ring = rings.get(r.fingerprint().toUpperCase(Locale.ROOT));
            Optional<Instant> added = Optional.ofNullable(r.added());
            if (ring == null) {
                out.add(new Key(r.fingerprint(), r.userIds(), added, Optional.empty(),
                        Optional.of("key not in the config: expiry unknown")));
                continue;
            }
            Optional<Instant> expires = expiry(ring.getPublicKey());
            for (Iterator<PGPPublicKey> it = ring.getPublicKeys(); it.hasNext(); ) {
                PGPPublicKey sub = it.next();
                if (String.format(Locale.ROOT, "%016X", sub.getKeyID()).equalsIgnoreCase(r.encryptionKeyId())) {
                    Optional<Instant> subExpiry = expiry(sub);
                    if (subExpiry.isPresent() && (expires.isEmpty() || subExpiry.get().isBefore(expires.get()))) {
                        expires = subExpiry;
                    }
                }
            }
            out.add(new Key(r.fingerprint(), r.userIds(), added, expires, Optional.empty()));
        }
        return out;
    }

    private static Optional<Instant> expiry(PGPPublicKey key) {
        long valid = key.getValidSeconds();
        return valid <= 0 ? Optional.empty() : Optional.of(key.getCreationTime().toInstant().plusSeconds(valid));
    }

    private static String fingerprint(PGPPublicKey key) {
        return Hex.toHexString(key.getFingerprint()).toUpperCase(Locale.ROOT);
    }

    /** Every key ring of a public or secret key file (armored or binary), public parts only; expired keys too. */
    private static List<PGPPublicKeyRing> rings(Path file) throws IOException {
        List<PGPPublicKeyRing> out = new ArrayList<>();
        try (InputStream in = PGPUtil.getDecoderStream(Files.newInputStream(file))) {
            for (Object o : new JcaPGPObjectFactory(in)) {
                if (o instanceof PGPPublicKeyRing ring) {
                    out.add(ring);
                } else if (o instanceof PGPSecretKeyRing ring) {
                    List<PGPPublicKey> keys = new ArrayList<>();
                    ring.getPublicKeys().forEachRemaining(keys::add);
                    out.add(new PGPPublicKeyRing(keys));
                }
            }
        }
        return out;
    }
}
