package com.mintreplica.backup.cli;

import com.mintreplica.backup.jobs.Doctor;
import com.mintreplica.backup.jobs.DoctorReport;
import com.mintreplica.backup.jobs.config.JobsConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "doctor", description = {"Check that the config's jobs can run on this machine, and say how to fix what"
        + " cannot: keys readable, unlocked and not expired; repositories reachable and writable (a probe object under"
        + " doctor/ is written and deleted); the clock against the object store's; pg_dump and pg_restore found and at"
        + " least each server's version; database logins; free space for temporary files; the audit log.",
    "Changes nothing. Exits 1 when a check found a problem (warnings do not count)."})
final class DoctorCommand implements Callable<Integer> {
    @ParentCommand
    MintBackup root;

    @Option(names = "--config", required = true, paramLabel = "F", description = "The jobs config (YAML).")
    Path config;

    @Option(names = "--temp-dir", paramLabel = "DIR", description = "The temporary directory restores and drills use."
            + " Default: the system's temporary directory.")
    Path tempDir;

    @Option(names = "--json", description = "Print the findings as JSON.")
    boolean json;

    @Override
    public Integer call() {
        JobsConfig cfg = JobsSupport.load(config);
        Doctor.Builder b = Doctor.builder(cfg).environment(root.env).host(JobsSupport.host());
        RepositoryOptions.envCacheDirectory(root).ifPresent(b::cacheDirectory);
        if (tempDir != null) {
            b.tempDir(tempDir);
        }
        DoctorReport report = b.build().run();
        root.out.print(json ? report.toJson() + "\n" : report.summary());
        return report.ok() ? MintBackup.OK : MintBackup.FAILED;
    }
}
