package com.mintreplica.backup.examples.spring;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * The Mint Replica app as far as its backups go: nothing but this class and {@code application.yml}. The starter
 * reads the jobs from {@code mint.backup.*}, runs them on their schedules while the app runs, and reports them in
 * {@code /actuator/health} (component {@code mintBackup}), {@code /actuator/metrics/mint.backup.job.*} and
 * {@code /actuator/mintbackup}.
 */
@SpringBootApplication
public class MintReplicaApplication {
    public static void main(String[] args) {
        SpringApplication.run(MintReplicaApplication.class, args);
    }
}
