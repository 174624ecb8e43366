package com.mintreplica.backup.mongo;

import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.stream.Collectors;

/**
 * What a {@link MongoTarget} restore or a {@link MongoVerifier} check found, collection by collection: the document
 * count the snapshot recorded, how many documents its entry held, and how many the target holds afterwards. Drills
 * read it to decide whether a restore can be trusted.
 *
 * @param snapshotId the snapshot restored or checked
 * @param collections one check per collection whose documents were restored or checked, in snapshot order
 * @param problems everything else that went wrong (damaged entries, indexes that could not be built, documents the
 *     server refused), each naming its collection or entry; empty when all is well
 */
public record MongoRestoreReport(String snapshotId, List<CollectionCheck> collections, List<String> problems) {
    public MongoRestoreReport {
        Objects.requireNonNull(snapshotId, "snapshotId");
        collections = List.copyOf(collections);
        problems = List.copyOf(problems);
    }

    /** Whether every count matches and nothing else went wrong. */
    public boolean ok() {
        return problems.isEmpty() && collections.stream().allMatch(CollectionCheck::matches);
    }

    /** The collections whose counts do not match. */
    public List<CollectionCheck> mismatches() {
        return collections.stream().filter(c -> !c.matches()).toList();
    }

    /** The check of one source namespace ({@code db.collection}), if it was restored or checked. */
    public java.util.Optional<CollectionCheck> collection(String namespace) {
        return collections.stream().filter(c -> c.namespace().equals(namespace)).findFirst();
    }

    /** One line per mismatch and problem, for messages and logs. */
    public String summary() {
        List<String> lines = new java.util.ArrayList<>();
        mismatches().forEach(c -> lines.add(c.describe()));
        lines.addAll(problems);
        return lines.isEmpty() ? "all " + collections.size() + " collections match" : lines.stream().collect(Collectors.joining("; "));
    }

    /**
     * The counts of one collection.
     *
     * @param namespace where it came from: {@code db.collection}
     * @param targetNamespace where it was restored to (the same as {@code namespace} for a verification)
     * @param expected the count the snapshot's facts record; empty when they record none
     * @param read the documents the snapshot's entry held
     * @param found the documents the target holds afterwards (for a verification: the documents that parsed)
     * @param failedInserts documents the server refused (duplicate keys when restoring without drop, ...)
     */
    public record CollectionCheck(String namespace, String targetNamespace, OptionalLong expected, long read, long found,
                                  long failedInserts) {
        public CollectionCheck {
            Objects.requireNonNull(namespace, "namespace");
            Objects.requireNonNull(targetNamespace, "targetNamespace");
            Objects.requireNonNull(expected, "expected");
        }

        /** Whether the recorded count, the snapshot's entry and the target agree. */
        public boolean matches() {
            return expected.isPresent() && expected.getAsLong() == read && expected.getAsLong() == found;
        }

        /** What is wrong, in words, or that it matches. */
        public String describe() {
            if (expected.isEmpty()) {
                return namespace + ": the snapshot records no document count (read " + read + ", found " + found
                        + " in " + targetNamespace + ")";
            }
            if (matches()) {
                return namespace + ": " + found + " documents, as recorded";
            }
            StringBuilder s = new StringBuilder(namespace).append(": expected ").append(expected.getAsLong()).append(" documents");
            if (read != expected.getAsLong()) {
                s.append(", the snapshot's entry holds ").append(read);
            }
            if (found != read || !namespace.equals(targetNamespace)) {
                s.append(", found ").append(found).append(" in ").append(targetNamespace);
            }
            if (failedInserts > 0) {
                s.append(" (").append(failedInserts).append(" refused by the server)");
            }
            return s.toString();
        }
    }
}
