package com.mintreplica.backup.core.source;

import java.io.IOException;

/**
 * Thrown by a Source when one entry's content cannot be read (an I/O error of that file, a name too long for the
 * system's calls, a special file that refuses reads) while the rest of the source can: the backup records a warning
 * naming the entry and goes on without it, as restic does, where any other {@link IOException} fails the backup. A
 * Source whose entries are parts of one whole (a database dump) never throws it: a dump missing a part is no backup.
 */
public class UnreadableEntryException extends IOException {
    private static final long serialVersionUID = 1L;

    /** @param reason what went wrong, for the warning ("cannot be read (input/output error)") */
    public UnreadableEntryException(String reason, Throwable cause) {
        super(reason, cause);
    }
}
