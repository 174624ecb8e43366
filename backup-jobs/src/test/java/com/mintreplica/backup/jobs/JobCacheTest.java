package com.mintreplica.backup.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.jobs.config.JobConfig;
import com.mintreplica.backup.jobs.config.JobsConfig;
import com.mintreplica.backup.jobs.config.RepositoryConfig;
import com.mintreplica.backup.jobs.config.SourceConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A runner's reader cache: what it opens with reader keys (the job's repository and its copy targets) keeps the local
 * cache of tree packs, snapshot summaries and index objects under the directory it was given, a directory per
 * repository, as the CLI's other commands do; a copy out of a remote store then reads a tree pack once.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class JobCacheTest {
    @TempDir
    Path temp;

    @Test
    void a_runner_given_a_cache_directory_keeps_the_readers_cache_of_the_repository_and_of_its_copy_target()
            throws IOException {
        Path data = Files.createDirectories(temp.resolve("data"));
        for (int d = 0; d < 5; d++) {
            Files.writeString(Files.createDirectories(data.resolve("d" + d)).resolve("f.txt"), "file " + d);
        }
        JobsConfig config = JobsConfig.builder()
                .repository(RepositoryConfig.of("primary", temp.resolve("primary").toString()).withCopies("offsite"))
                .repository(RepositoryConfig.of("offsite", temp.resolve("offsite").toString()))
                .job(JobConfig.builder("files").source(SourceConfig.paths(data).build()).repository("primary").build())
                .build();
        Path cache = temp.resolve("cache");

        JobResult first = JobRunner.builder(config).cacheDirectory(cache).build().run(config.job("files"), Instant.now());
        Files.writeString(data.resolve("d3/f.txt"), "changed");
        JobResult second = JobRunner.builder(config).cacheDirectory(cache).build().run(config.job("files"), Instant.now());

        assertThat(first.succeeded()).as(first.toString()).isTrue();
        assertThat(second.succeeded()).as(second.toString()).isTrue();
        for (String repository : new String[] {"primary", "offsite"}) {
            String id;
            try (Repository r = Repository.open(temp.resolve(repository).toString())) {
                id = r.id();
                assertThat(r.snapshots()).hasSize(2);
            }
            // the backup's tree packs, and the copy's in the target, as they were stored
            try (Stream<Path> trees = Files.walk(cache.resolve(id).resolve("tree"))) {
                assertThat(trees.filter(Files::isRegularFile).count()).as(repository + "'s tree packs in the cache")
                        .isPositive();
            }
        }
    }

    @Test
    void a_drill_given_a_cache_directory_reads_the_trees_it_restores_through_it() throws IOException {
        Path data = Files.createDirectories(temp.resolve("data"));
        for (int d = 0; d < 5; d++) {
            Files.writeString(Files.createDirectories(data.resolve("d" + d)).resolve("f.txt"), "file " + d);
        }
        JobsConfig config = JobsConfig.builder()
                .repository(RepositoryConfig.of("primary", temp.resolve("primary").toString()))
                .job(JobConfig.builder("files").source(SourceConfig.paths(data).build()).repository("primary").build())
                .drill(com.mintreplica.backup.jobs.config.DrillConfig.of("files"))
                .build();
        JobResult backup = JobRunner.builder(config).build().run(config.job("files"), Instant.now());
        assertThat(backup.succeeded()).as(backup.toString()).isTrue();
        Path cache = temp.resolve("drill-cache");

        DrillReport report = DrillRunner.builder(config).cacheDirectory(cache)
                .tempDir(Files.createDirectories(temp.resolve("scratch"))).build().runAll().get(0);

        assertThat(report.passed()).as(report.toString()).isTrue();
        String id;
        try (Repository r = Repository.open(temp.resolve("primary").toString())) {
            id = r.id();
        }
        try (Stream<Path> trees = Files.walk(cache.resolve(id).resolve("tree"))) {
            assertThat(trees.filter(Files::isRegularFile).count()).isPositive();
        }
    }

    /**
     * {@code create} (true by default) made a new repository wherever the old one was missing: a backup disk that was
     * not mounted got a new repository on the root file system, under the mount point, and the jobs went on "ok". A
     * runner with a cache directory remembers the repository each location held; once jobs wrote there, a missing
     * repository fails the run, creates nothing, and the doctor names it a problem.
     */
    @Test
    void a_repository_the_jobs_wrote_to_is_not_made_again_when_its_disk_is_not_mounted() throws IOException {
        Path data = Files.createDirectories(temp.resolve("data"));
        Files.writeString(data.resolve("f.txt"), "file");
        Path mountPoint = Files.createDirectories(temp.resolve("mnt/backup"));
        Path location = mountPoint.resolve("repo");
        JobsConfig config = JobsConfig.builder()
                .repository(RepositoryConfig.of("primary", location.toString()))
                .job(JobConfig.builder("files").source(SourceConfig.paths(data).build()).repository("primary").build())
                .build();
        Path cache = temp.resolve("cache");
        JobResult first = JobRunner.builder(config).cacheDirectory(cache).build().run(config.job("files"), Instant.now());
        assertThat(first.succeeded()).as(first.toString()).isTrue();
        String id;
        try (Repository r = Repository.open(location.toString())) {
            id = r.id();
        }

        // "umount": the mount point is an empty directory again
        Files.move(location, temp.resolve("unmounted-disk"));
        JobResult unmounted = JobRunner.builder(config).cacheDirectory(cache).build().run(config.job("files"), Instant.now());
        assertThat(unmounted.succeeded()).isFalse();
        assertThat(unmounted.error().orElseThrow()).contains("there is no repository at " + location)
                .contains("jobs on this host wrote to the repository " + id + " there before")
                .contains("mount it; no repository was created");
        assertThat(location).doesNotExist();
        DoctorReport doctor = Doctor.builder(config).cacheDirectory(cache).build().run();
        assertThat(doctor.toJson()).contains("wrote to the repository " + id + " there before");
        assertThat(doctor.problems()).isNotEmpty();
        assertThat(location).as("the doctor wrote no probe under the mount point either").doesNotExist();

        // the scheduler (run, daemon) neither claims nor records the run there: no jobs/ under the mount point
        try (JobScheduler scheduler = JobScheduler.builder(config).cacheDirectory(cache).build()) {
            JobResult scheduled = scheduler.runNow("files", false);
            assertThat(scheduled.succeeded()).isFalse();
            assertThat(scheduled.error().orElseThrow()).contains("jobs on this host wrote to the repository " + id);
            assertThat(scheduler.runNow("files", true).succeeded()).isFalse();
        }
        assertThat(mountPoint).isEmptyDirectory();

        // mounted again: the run goes on into the same repository
        Files.move(temp.resolve("unmounted-disk"), location);
        JobResult mounted = JobRunner.builder(config).cacheDirectory(cache).build().run(config.job("files"), Instant.now());
        assertThat(mounted.succeeded()).as(mounted.toString()).isTrue();
        try (Repository r = Repository.open(location.toString())) {
            assertThat(r.id()).isEqualTo(id);
            assertThat(r.snapshots()).hasSize(2);
        }

        // a runner without a record (a library that gave no cache directory) creates it, as create: true says
        Path other = temp.resolve("other");
        JobsConfig fresh = JobsConfig.builder()
                .repository(RepositoryConfig.of("primary", other.toString()))
                .job(JobConfig.builder("files").source(SourceConfig.paths(data).build()).repository("primary").build())
                .build();
        assertThat(JobRunner.builder(fresh).build().run(fresh.job("files"), Instant.now()).succeeded()).isTrue();
        assertThat(other.resolve("config")).exists();
    }
}
