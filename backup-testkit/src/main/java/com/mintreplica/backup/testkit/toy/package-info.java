/**
 * A toy source kind, {@code notes}, registered through {@code META-INF/services} like any adapter: it proves that the
 * jobs layer runs a kind it has never heard of (a job, a drill with the kind's own check, the doctor's preflight, a
 * password through the kind's variable), and shows an adapter author the whole provider model on two pages.
 *
 * <p>A notes location {@code notes:///var/notes} is a directory of {@code *.note} text files. A backup records one
 * entry per note and the fact {@code notes.count}. A drill restores into a new directory beside the job's (or in the
 * drill's {@code target}, a {@code notes:} location) and checks {@code note-count}. When the directory holds a
 * {@code .password} file, the variable {@value NotesSourceProvider#PASSWORD_VARIABLE} must hold the same text: the
 * config's {@code password:} reference arrives there.
 */
package com.mintreplica.backup.testkit.toy;
