package com.mintreplica.backup.spring.boot.starter;

import com.mintreplica.backup.jobs.JobAction;
import com.mintreplica.backup.jobs.JobListener;
import com.mintreplica.backup.jobs.JobMetrics;
import com.mintreplica.backup.jobs.JobRunner;
import com.mintreplica.backup.jobs.JobScheduler;
import com.mintreplica.backup.jobs.config.JobsConfig;
import com.mintreplica.backup.spring.boot.starter.internal.SpringConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.autoconfigure.health.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.boot.context.properties.bind.Binder;

/**
 * The jobs of {@code mint.backup.*} (or of the YAML file {@code mint.backup.config-file}) in a Spring Boot app: a
 * {@link JobsConfig} checked as the YAML config is, a {@link JobScheduler} started and stopped with the context, and,
 * when Actuator and Micrometer are there, the {@code mintBackup} health indicator, the {@code mintbackup} endpoint and
 * backup-jobs' {@link JobMetrics} meters on the app's registry. Every bean backs off when the app defines its own.
 *
 * <p>The app may define: {@link JobListener} beans (all are told of every run), one {@link JobAction} (what a run
 * does, e.g. the runner wrapped with the app's steps), one {@link Clock}.
 */
@AutoConfiguration(afterName = {
        "org.springframework.boot.actuate.autoconfigure.metrics.CompositeMeterRegistryAutoConfiguration",
        "org.springframework.boot.actuate.autoconfigure.metrics.MetricsAutoConfiguration",
        "org.springframework.boot.actuate.autoconfigure.metrics.export.simple.SimpleMetricsExportAutoConfiguration",
        "org.springframework.boot.actuate.autoconfigure.metrics.export.prometheus.PrometheusMetricsExportAutoConfiguration"})
@ConditionalOnProperty(prefix = "mint.backup", name = "enabled", havingValue = "true", matchIfMissing = true)
public class MintBackupAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    public JobsConfig mintBackupJobsConfig(ConfigurableEnvironment environment) {
        String file = environment.getProperty("mint.backup.config-file");
        if (file != null && !file.isBlank()) {
            return JobsConfig.load(Path.of(file));
        }
        return SpringConfig.read(environment);
    }

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    public JobScheduler mintBackupJobScheduler(JobsConfig config, ConfigurableEnvironment environment,
                                               ObjectProvider<JobListener> listeners, ObjectProvider<JobAction> action,
                                               ObjectProvider<Clock> clock) {
        JobScheduler.Builder b = JobScheduler.builder(config)
                .clock(clock.getIfUnique(Clock::systemUTC))
                .environment(System.getenv())
                .host(hostName())
                .user(System.getProperty("user.name", ""))
                .shutdownTimeout(shutdownTimeout(environment));
        Binder.get(environment).bind("mint.backup.scheduler.tick-every", Duration.class).ifBound(b::tickEvery);
        cacheDirectory(environment).ifPresent(b::cacheDirectory);
        action.ifUnique(b::action);
        listeners.orderedStream().forEach(b::listener);
        return b.build();
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnProperty(prefix = "mint.backup.scheduler", name = "enabled", havingValue = "true", matchIfMissing = true)
    public MintBackupSchedulerLifecycle mintBackupSchedulerLifecycle(JobScheduler scheduler) {
        return new MintBackupSchedulerLifecycle(scheduler);
    }

    @Bean
    @ConditionalOnMissingBean
    public MintBackupStatus mintBackupStatus(JobsConfig config, JobScheduler scheduler, ObjectProvider<Clock> clock,
                                             ConfigurableEnvironment environment) {
        Clock c = clock.getIfUnique(Clock::systemUTC);
        JobRunner.Builder b = JobRunner.builder(config).clock(c).environment(System.getenv()).host(hostName());
        cacheDirectory(environment).ifPresent(b::cacheDirectory);
        JobRunner runner = b.build();
        return new MintBackupStatus(runner, scheduler, c);
    }

    /**
     * {@code mint.backup.cache-dir}: the jobs' local cache (tree packs, snapshot summaries, index objects of what they
     * read) and their record of the repository each location held, so that a repository that went missing (a backup
     * disk that is not mounted) fails the run instead of being made again. Unset: none (the app writes nowhere it
     * was not told to).
     */
    static java.util.Optional<Path> cacheDirectory(ConfigurableEnvironment environment) {
        String dir = environment.getProperty("mint.backup.cache-dir");
        return dir == null || dir.isBlank() ? java.util.Optional.empty() : java.util.Optional.of(Path.of(dir));
    }

    /** The scheduler's shutdown timeout: {@code mint.backup.scheduler.shutdown-timeout}, else Spring's per phase. */
    static Duration shutdownTimeout(ConfigurableEnvironment environment) {
        Binder binder = Binder.get(environment);
        return binder.bind("mint.backup.scheduler.shutdown-timeout", Duration.class)
                .orElseGet(() -> binder.bind("spring.lifecycle.timeout-per-shutdown-phase", Duration.class)
                        .orElse(Duration.ofSeconds(30)));
    }

    static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }

    /** backup-jobs' meters on the app's registry. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(MeterRegistry.class)
    @ConditionalOnBean(MeterRegistry.class)
    static class Metrics {
        @Bean
        @ConditionalOnMissingBean
        JobMetrics mintBackupJobMetrics(MeterRegistry registry) {
            return new JobMetrics(registry);
        }

        /**
         * Once the context is built, every job's meters exist (as with {@code mint-backup daemon}): failures at 0,
         * and the newest snapshot in its repository as its last success, so a backup that stopped before the app
         * started still shows its age.
         */
        @Bean
        SmartInitializingSingleton mintBackupJobMetricsRegistration(JobMetrics metrics, JobScheduler scheduler,
                                                                    MintBackupStatus status) {
            return () -> {
                java.util.Map<String, java.util.Optional<java.time.Instant>> last = new java.util.HashMap<>();
                for (com.mintreplica.backup.jobs.JobStatus s : status.check()) {
                    last.put(s.job(), s.lastGoodTime());
                }
                for (String name : scheduler.names()) {
                    metrics.register(name, last.getOrDefault(name, java.util.Optional.empty()));
                }
            };
        }
    }

    /** The health indicator and the endpoint, with Actuator. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(HealthIndicator.class)
    static class Actuator {
        @Bean
        @ConditionalOnMissingBean
        @ConditionalOnEnabledHealthIndicator("mintBackup")
        MintBackupHealthIndicator mintBackupHealthIndicator(MintBackupStatus status) {
            return new MintBackupHealthIndicator(status);
        }

        @Bean
        @ConditionalOnMissingBean
        @ConditionalOnAvailableEndpoint
        MintBackupEndpoint mintBackupEndpoint(MintBackupStatus status) {
            return new MintBackupEndpoint(status);
        }
    }
}
