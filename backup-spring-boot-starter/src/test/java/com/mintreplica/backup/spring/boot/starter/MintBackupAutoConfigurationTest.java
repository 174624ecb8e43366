package com.mintreplica.backup.spring.boot.starter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.sink.LocalDirectorySink;
import com.mintreplica.backup.jobs.JobAction;
import com.mintreplica.backup.jobs.JobResult;
import com.mintreplica.backup.jobs.JobRunner;
import com.mintreplica.backup.jobs.JobScheduler;
import com.mintreplica.backup.jobs.config.ConfigException;
import com.mintreplica.backup.jobs.config.ConfigProblem;
import com.mintreplica.backup.jobs.config.JobsConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The auto-configuration in a context without web server: config checks, lifecycle, graceful shutdown. */
@Timeout(120)
class MintBackupAutoConfigurationTest {
    @TempDir
    Path temp;

    @Configuration(proxyBeanMethods = false)
    @org.springframework.boot.autoconfigure.ImportAutoConfiguration(MintBackupAutoConfiguration.class)
    static class App {
    }

    @Test
    void config_problems_name_the_spring_property_and_the_file_line_and_column_they_were_set_at() {
        Throwable failure = catchThrowable(() -> new SpringApplicationBuilder(App.class).web(WebApplicationType.NONE)
                .properties("spring.config.location=classpath:bad-jobs.yml").run().close());

        ConfigException e = rootCause(failure, ConfigException.class);
        assertThat(e.problems()).extracting(ConfigProblem::field).containsExactlyInAnyOrder(
                "mint.backup.jobs.etc.schedule", "mint.backup.jobs.etc.tag");
        ConfigProblem tag = e.problems().stream().filter(p -> p.field().endsWith(".tag")).findFirst().orElseThrow();
        assertThat(tag.file()).hasValueSatisfying(f -> assertThat(f).contains("bad-jobs.yml"));
        assertThat(tag.line()).isEqualTo(12);
        assertThat(tag.message()).isEqualTo("unknown key 'tag': did you mean 'tags'?");
        assertThat(e.problems().stream().filter(p -> p.field().endsWith(".schedule")).findFirst().orElseThrow().line())
                .isEqualTo(11);
    }

    @Test
    void the_failure_report_lists_every_problem_and_says_what_to_do() {
        Throwable failure = catchThrowable(() -> new SpringApplicationBuilder(App.class).web(WebApplicationType.NONE)
                .properties("spring.config.location=classpath:bad-jobs.yml").run().close());

        org.springframework.boot.diagnostics.FailureAnalysis analysis =
                new com.mintreplica.backup.spring.boot.starter.internal.ConfigFailureAnalyzer().analyze(failure);
        assertThat(analysis).isNotNull();
        assertThat(analysis.getDescription()).contains("mint.backup.*").contains("2 problems")
                .contains("bad-jobs.yml]:12:").contains("mint.backup.jobs.etc.tag: unknown key 'tag'");
        assertThat(analysis.getAction()).contains("mint.backup.enabled=false");
    }

    @Test
    void once_the_structure_holds_the_whole_config_checks_name_properties_too() {
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(MintBackupAutoConfiguration.class))
                .withPropertyValues("mint.backup.repositories.primary.location=" + temp.resolve("repo"),
                        "mint.backup.jobs.etc.source.paths[0]=" + temp, "mint.backup.jobs.etc.repository=primay")
                .run(context -> {
                    assertThat(context).hasFailed();
                    ConfigException e = rootCause(context.getStartupFailure(), ConfigException.class);
                    assertThat(e.problems()).singleElement().satisfies(p -> {
                        assertThat(p.field()).isEqualTo("mint.backup.jobs.etc.repository");
                        assertThat(p.message()).isEqualTo("no repository 'primay': defined are [primary]");
                    });
                });
    }

    /**
     * With {@code mint.backup.cache-dir} the app's jobs remember the repository each location held: a backup disk that
     * is not mounted fails the run instead of getting a new, empty repository under its mount point.
     */
    @Test
    void with_a_cache_dir_a_repository_that_went_missing_is_not_made_again() throws Exception {
        Path data = Files.createDirectories(temp.resolve("data"));
        Files.writeString(data.resolve("a.txt"), "hello");
        Path repo = temp.resolve("mnt/backup/repo");
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(MintBackupAutoConfiguration.class))
                .withPropertyValues("mint.backup.repositories.primary.location=" + repo,
                        "mint.backup.jobs.files.source.paths[0]=" + data, "mint.backup.jobs.files.repository=primary",
                        "mint.backup.scheduler.enabled=false", "mint.backup.cache-dir=" + temp.resolve("cache"))
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    JobScheduler scheduler = context.getBean(JobScheduler.class);
                    assertThat(scheduler.runNow("files", true).succeeded()).isTrue();
                    Files.move(repo, temp.resolve("unmounted"));
                    JobResult missing = scheduler.runNow("files", true);
                    assertThat(missing.succeeded()).isFalse();
                    assertThat(missing.error().orElseThrow()).contains("wrote to the repository").contains("mount it");
                    assertThat(repo).as("nothing is written under the mount point").doesNotExist();
                });
    }

    @Test
    void without_mint_backup_enabled_nothing_is_configured() {
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(MintBackupAutoConfiguration.class))
                .withPropertyValues("mint.backup.enabled=false", "mint.backup.jobs.etc.bogus=1")
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(JobScheduler.class));
    }

    /** A job's run blocks until the test lets it go: the context's close must wait for it, then it commits. */
    @Configuration(proxyBeanMethods = false)
    @org.springframework.boot.autoconfigure.ImportAutoConfiguration(MintBackupAutoConfiguration.class)
    static class SlowApp {
        static final CountDownLatch STARTED = new CountDownLatch(1);
        static final CountDownLatch RELEASE = new CountDownLatch(1);

        @Bean
        JobAction slowAction(JobsConfig config) {
            JobRunner runner = JobRunner.builder(config).build();
            return (job, slot) -> {
                STARTED.countDown();
                RELEASE.await();
                return runner.run(job, slot);
            };
        }
    }

    @Test
    void the_scheduler_starts_with_the_context_and_closing_the_context_lets_a_running_backup_finish() throws Exception {
        Path data = Files.createDirectories(temp.resolve("data"));
        Files.writeString(data.resolve("a.txt"), "hello");
        Path repo = temp.resolve("repo");
        ConfigurableApplicationContext context = new SpringApplicationBuilder(SlowApp.class).web(WebApplicationType.NONE)
                .properties("mint.backup.repositories.primary.location=" + repo,
                        "mint.backup.jobs.files.source.paths[0]=" + data,
                        "mint.backup.jobs.files.repository=primary",
                        "mint.backup.scheduler.shutdown-timeout=60s")
                .run();
        JobScheduler scheduler = context.getBean(JobScheduler.class);
        assertThatThrownBy(scheduler::start).as("the context started it").isInstanceOf(IllegalStateException.class);

        CompletableFuture<JobResult> run = CompletableFuture.supplyAsync(() -> scheduler.runNow("files", true));
        assertThat(SlowApp.STARTED.await(30, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<Void> closed = CompletableFuture.runAsync(context::close);
        Thread.sleep(1000);
        assertThat(closed).as("close waits for the running backup").isNotDone();
        SlowApp.RELEASE.countDown();

        closed.get(60, TimeUnit.SECONDS);
        JobResult result = run.get(60, TimeUnit.SECONDS);
        assertThat(result.outcome()).as(result.error().orElse("")).isEqualTo(JobResult.Outcome.SUCCEEDED);
        try (Repository r = Repository.open(new LocalDirectorySink(repo))) {
            assertThat(r.snapshots()).singleElement().satisfies(s -> assertThat(s.id()).isEqualTo(result.snapshot().orElseThrow()));
        }
    }

    @Test
    void the_shutdown_timeout_defaults_to_springs_timeout_per_shutdown_phase() {
        org.springframework.mock.env.MockEnvironment env = new org.springframework.mock.env.MockEnvironment();
        assertThat(MintBackupAutoConfiguration.shutdownTimeout(env)).isEqualTo(Duration.ofSeconds(30));
        env.setProperty("spring.lifecycle.timeout-per-shutdown-phase", "2m");
        assertThat(MintBackupAutoConfiguration.shutdownTimeout(env)).isEqualTo(Duration.ofMinutes(2));
        env.setProperty("mint.backup.scheduler.shutdown-timeout", "45s");
        assertThat(MintBackupAutoConfiguration.shutdownTimeout(env)).isEqualTo(Duration.ofSeconds(45));
    }

    private static <T extends Throwable> T rootCause(Throwable t, Class<T> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
        }
        throw new AssertionError("no " + type.getSimpleName() + " in " + t, t);
    }
}
