package com.mintreplica.backup.jobs;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The scratch target a drill restored into, as a {@link SmokeCheck} sees it. It exists until the drill ends; the drill
 * removes it, whatever the outcome.
 */
public interface DrillScratch {

    /** The kind of snapshot restored: {@code fs}, {@code postgresql}, {@code mongodb}. */
    String kind();

    /** Where it is, for messages: a directory, {@code host:port/database}; never with credentials. */
    String describe();

    /** For a directory job: the scratch directory, under which the snapshot's paths were restored. */
    Optional<Path> directory();

    /** For a database job: the scratch database's name. */
    Optional<String> database();

    /**
     * For a PostgreSQL job: a new JDBC connection to the scratch database, with the drill's login; the caller closes it.
     *
     * @throws com.mintreplica.backup.core.UnsupportedException for other kinds
     */
    java.sql.Connection connect();
}
