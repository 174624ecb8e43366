package com.mintreplica.backup.cli;

import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.crypto.KeyManager;
import com.mintreplica.backup.crypto.OpenPgpKeys;
import com.mintreplica.backup.crypto.OpenPgpPublicKey;
import com.mintreplica.backup.crypto.Recipient;
import com.mintreplica.backup.crypto.WriterInfo;
import com.mintreplica.backup.crypto.WriterKey;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** Key rotation of encrypted repositories: list, add and remove recipients, start a new data key. */
@Command(name = "key", description = "Manage who can read an encrypted repository, without re-uploading data.",
        subcommands = {KeyCommand.ListKeys.class, KeyCommand.Add.class, KeyCommand.Remove.class, KeyCommand.Rotate.class,
            KeyCommand.Writers.class})
final class KeyCommand implements Callable<Integer> {
    @ParentCommand
    MintBackup root;

    @Override
    public Integer call() {
        root.err.println("mint-backup key: give a subcommand: list, add, remove, rotate or writer");
        return MintBackup.USAGE;
    }

    static void print(MintBackup root, Recipient r) {
        root.out.println(r);
    }

    /** After the recipients changed: writer keys encrypt to those they were exported with, and now refuse. */
    static void warnWriters(MintBackup root, KeyManager manager) {
        List<WriterInfo> valid = manager.writers().stream().filter(w -> w.revoked().isEmpty()).toList();
        if (!valid.isEmpty()) {
            root.err.println("note: " + valid.size() + " writer key" + (valid.size() == 1 ? "" : "s") + " of this repository ("
                    + String.join(", ", valid.stream().map(WriterInfo::name).toList()) + ") encrypt only to the recipients"
                    + " they were exported with, and now refuse to back up. Export new ones (mint-backup key writer export),"
                    + " deploy them, then revoke the old ones (mint-backup key writer revoke)");
        }
    }

    @Command(name = "list", description = "List the keys that can read the repository (no secret key needed).")
    static final class ListKeys implements Callable<Integer> {
        @ParentCommand
        KeyCommand parent;

        @Mixin
        RepositoryOptions repository;

        @Override
        public Integer call() throws Exception {
            try (Sink sink = repository.openSink(parent.root)) {
                List<Recipient> recipients = KeyManager.recipients(sink);
                recipients.forEach(r -> print(parent.root, r));
                if (recipients.isEmpty()) {
                    parent.root.out.println("the repository at " + sink.describe() + " is not encrypted");
                }
            }
            return MintBackup.OK;
        }
    }

    @Command(name = "add", description = "Let another key read everything in the repository (needs --key of a current recipient).")
    static final class Add implements Callable<Integer> {
        @ParentCommand
        KeyCommand parent;

        @Mixin
        RepositoryOptions repository;

        @Parameters(arity = "1..*", paramLabel = "KEY.asc", description = "The public key file(s) to add.")
        List<Path> publicKeys;

        @Override
        public Integer call() throws Exception {
            CliAudit.Facts facts = new CliAudit.Facts();
            facts.repository = repository.location(parent.root);
            return CliAudit.around(parent.root, com.mintreplica.backup.jobs.audit.AuditOperation.KEY, facts, () -> add(facts));
        }

        private int add(CliAudit.Facts facts) throws Exception {
            List<OpenPgpPublicKey> keys = new ArrayList<>();
            publicKeys.forEach(f -> keys.addAll(OpenPgpKeys.publicKeys(f)));
            try (Sink sink = repository.openSink(parent.root);
                 KeyManager manager = KeyManager.open(sink, repository.secretKeys(parent.root))) {
                List<String> added = new ArrayList<>();
                for (Recipient r : manager.add(keys)) {
                    parent.root.out.println("added " + r);
                    added.add(r.toString());
                }
                facts.detail = "added " + String.join(", ", added);
                warnWriters(parent.root, manager);
            }
            return MintBackup.OK;
        }
    }

    @Command(name = "remove", description = {"Stop a key from reading the repository: its wrapped keys are deleted.",
        "With --new-data-key, everything written afterwards uses a data key the removed key never saw."})
    static final class Remove implements Callable<Integer> {
        @ParentCommand
        KeyCommand parent;

        @Mixin
        RepositoryOptions repository;

        @Parameters(index = "0", paramLabel = "KEY", description = "A fingerprint, key id or user id of the key to remove.")
        String selector;

        @Option(names = "--new-data-key", description = "Also start a new data key for everything written from now on.")
        boolean newDataKey;

        @Override
        public Integer call() throws Exception {
            CliAudit.Facts facts = new CliAudit.Facts();
            facts.repository = repository.location(parent.root);
            facts.detail = "remove " + selector;
            return CliAudit.around(parent.root, com.mintreplica.backup.jobs.audit.AuditOperation.KEY, facts, () -> remove(facts));
        }

        private int remove(CliAudit.Facts facts) throws Exception {
            try (Sink sink = repository.openSink(parent.root);
                 KeyManager manager = KeyManager.open(sink, repository.secretKeys(parent.root))) {
                Recipient removed = manager.remove(selector, newDataKey);
                parent.root.out.println("removed " + removed + (newDataKey ? "; new data written with a new data key" : ""));
                facts.detail = "removed " + removed + (newDataKey ? "; new data key" : "");
                warnWriters(parent.root, manager);
            }
            return MintBackup.OK;
        }
    }

    @Command(name = "rotate", description = "Start a new data key for everything written from now on (old data stays readable).")
    static final class Rotate implements Callable<Integer> {
        @ParentCommand
        KeyCommand parent;

        @Mixin
        RepositoryOptions repository;

        @Override
        public Integer call() throws Exception {
            CliAudit.Facts facts = new CliAudit.Facts();
            facts.repository = repository.location(parent.root);
            facts.detail = "rotate the data key";
            return CliAudit.around(parent.root, com.mintreplica.backup.jobs.audit.AuditOperation.KEY, facts, () -> {
                try (Sink sink = repository.openSink(parent.root);
                     KeyManager manager = KeyManager.open(sink, repository.secretKeys(parent.root))) {
                    String key = String.valueOf(manager.rotateDataKey());
                    parent.root.out.println("new data key " + key);
                    facts.detail = "new data key " + key;
                }
                return MintBackup.OK;
            });
        }
    }

    @Command(name = "writer", description = {"Write-only keys for backup hosts: they back up and copy into the repository"
            + " with public material only, and read nothing.", "export needs a recipient's --key; so does revoke."},
            subcommands = {Writers.Export.class, Writers.ListWriters.class, Writers.Revoke.class})
    static final class Writers implements Callable<Integer> {
        @ParentCommand
        KeyCommand parent;

        @Override
        public Integer call() {
            parent.root.err.println("mint-backup key writer: give a subcommand: export, list or revoke");
            return MintBackup.USAGE;
        }

        @Command(name = "export", description = {"Register a new writer and write its key file (mode 0600) for one backup"
                + " host.", "The host then backs up with --writer-key F: no secret key, no passphrase on it."})
        static final class Export implements Callable<Integer> {
            @ParentCommand
            Writers parent;

            @Mixin
            RepositoryOptions repository;

            @Option(names = "--name", required = true, paramLabel = "NAME", description = "What to call the writer: the host it is for.")
            String name;

            @Option(names = "--out", required = true, paramLabel = "FILE", description = "The writer key file to create (never overwritten).")
            Path out;

            @Override
            public Integer call() throws Exception {
                MintBackup root = parent.parent.root;
                CliAudit.Facts facts = new CliAudit.Facts();
                facts.repository = repository.location(root);
                facts.detail = "export writer " + name;
                return CliAudit.around(root, com.mintreplica.backup.jobs.audit.AuditOperation.KEY, facts, () -> {
                    if (java.nio.file.Files.exists(out)) {
                        throw new com.mintreplica.backup.core.InvalidInputException("the file " + out + " exists already: a"
                                + " writer key is never written over another file; choose another --out");
                    }
                    try (Sink sink = repository.openSink(root);
                         KeyManager manager = KeyManager.open(sink, secretKeys(root, repository))) {
                        WriterKey key = manager.exportWriter(name);
                        key.write(out);
                        root.out.println("exported " + key + " to " + out + " (mode 0600): it encrypts to "
                                + String.join(", ", key.recipientFingerprints()));
                        root.out.println("keep it like an SSH private key; back up with: mint-backup backup --repo "
                                + repository.location(root) + " --writer-key " + out + " PATH...");
                        facts.detail = "exported writer " + name + " (" + key.writerId() + ")";
                    }
                    return MintBackup.OK;
                });
            }
        }

        @Command(name = "list", description = "List the repository's writers, revoked ones too (needs a recipient's --key, which checks the list's signature).")
        static final class ListWriters implements Callable<Integer> {
            @ParentCommand
            Writers parent;

            @Mixin
            RepositoryOptions repository;

            @Override
            public Integer call() throws Exception {
                MintBackup root = parent.parent.root;
                try (Sink sink = repository.openSink(root);
                     KeyManager manager = KeyManager.open(sink, secretKeys(root, repository))) {
                    List<WriterInfo> writers = manager.writers();
                    writers.forEach(w -> root.out.println(w));
                    if (writers.isEmpty()) {
                        root.out.println("the repository at " + sink.describe() + " has no writers");
                    }
                }
                return MintBackup.OK;
            }
        }

        @Command(name = "revoke", description = {"Revoke a writer key: readers reject every snapshot it writes from now on,"
                + " and it refuses to run.", "What it wrote before stays trusted, unless --reject-all (a key that may have"
                + " leaked long ago) or --keep-before TIME."})
        static final class Revoke implements Callable<Integer> {
            @ParentCommand
            Writers parent;

            @Mixin
            RepositoryOptions repository;

            @Parameters(index = "0", paramLabel = "WRITER", description = "The writer's name, or its id (at least 8 hex digits).")
            String selector;

            @Option(names = "--reject-all", description = "Also stop trusting every snapshot it wrote before.")
            boolean rejectAll;

            @Option(names = "--keep-before", paramLabel = "ISO-8601", description = "Keep trusting only what the store dates before this time.")
            String keepBefore;

            @Override
            public Integer call() throws Exception {
                MintBackup root = parent.parent.root;
                if (rejectAll && keepBefore != null) {
                    throw new com.mintreplica.backup.core.InvalidInputException("give --reject-all or --keep-before, not both");
                }
                java.util.Optional<java.time.Instant> before = rejectAll ? java.util.Optional.of(java.time.Instant.EPOCH)
                        : java.util.Optional.ofNullable(keepBefore).map(BackupCommand::parseTime);
                CliAudit.Facts facts = new CliAudit.Facts();
                facts.repository = repository.location(root);
                facts.detail = "revoke writer " + selector;
                return CliAudit.around(root, com.mintreplica.backup.jobs.audit.AuditOperation.KEY, facts, () -> {
                    try (Sink sink = repository.openSink(root);
                         KeyManager manager = KeyManager.open(sink, secretKeys(root, repository))) {
                        WriterInfo revoked = manager.revokeWriter(selector, before);
                        root.out.println("revoked " + revoked);
                        facts.detail = "revoked " + revoked;
                    }
                    return MintBackup.OK;
                });
            }
        }

        /** A recipient's secret key; a writer key alone is refused with what is needed. */
        static List<com.mintreplica.backup.crypto.OpenPgpSecretKey> secretKeys(MintBackup root, RepositoryOptions repository) {
            List<com.mintreplica.backup.crypto.OpenPgpSecretKey> keys = repository.secretKeys(root);
            if (keys.isEmpty()) {
                throw new com.mintreplica.backup.core.AccessDeniedException("managing writer keys needs a reader's key: give"
                        + " the secret key of one of the repository's recipients (--key SECRET.asc)"
                        + (repository.writerKey(root).isPresent() ? "; a writer key cannot manage keys" : ""));
            }
            return keys;
        }
    }
}
