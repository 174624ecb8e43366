/**
 * What a source kind offers restore drills and the doctor, so that the jobs layer runs them for every kind a module
 * provides without naming one: {@link com.mintreplica.backup.core.drill.DrillSupport} makes a
 * {@link com.mintreplica.backup.core.drill.Scratch} target a drill restores into and checks, and
 * {@link com.mintreplica.backup.core.drill.Preflight} checks ahead of time that a source can be backed up and restored
 * from this machine. A {@link com.mintreplica.backup.core.source.SourceProvider} returns them. Every value is a core
 * type (no database driver's type), so an app that embeds only the scheduler loads no adapter it does not use.
 */
package com.mintreplica.backup.core.drill;
