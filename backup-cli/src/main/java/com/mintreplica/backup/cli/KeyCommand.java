package com.mintreplica.backup.cli;

import com.mintreplica.backup.core.sink.Sink;
import com.mintreplica.backup.crypto.KeyManager;
import com.mintreplica.backup.crypto.OpenPgpKeys;
import com.mintreplica.backup.crypto.OpenPgpPublicKey;
import com.mintreplica.backup.crypto.Recipient;
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
        subcommands = {KeyCommand.ListKeys.class, KeyCommand.Add.class, KeyCommand.Remove.class, KeyCommand.Rotate.class})
final class KeyCommand implements Callable<Integer> {
    @ParentCommand
    MintBackup root;

    @Override
    public Integer call() {
        root.err.println("mint-backup key: give a subcommand: list, add, remove or rotate");
        return MintBackup.USAGE;
    }

    static void print(MintBackup root, Recipient r) {
        root.out.println(r);
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
}
