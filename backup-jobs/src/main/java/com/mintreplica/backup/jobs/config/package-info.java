/**
 * The jobs config: records with builders, loaded from YAML by {@link com.mintreplica.backup.jobs.config.JobsConfig#load}
 * or built in Java, and checked whole before anything runs ({@link com.mintreplica.backup.jobs.config.ConfigException}
 * names the file, line and field of every problem). Secrets are referenced, never inline
 * ({@link com.mintreplica.backup.jobs.config.SecretRef}).
 */
package com.mintreplica.backup.jobs.config;
