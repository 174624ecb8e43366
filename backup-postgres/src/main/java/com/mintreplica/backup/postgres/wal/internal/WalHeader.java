package com.mintreplica.backup.postgres.wal.internal;

import com.mintreplica.backup.core.InvalidInputException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * What the first page of a WAL segment says (its long page header, XLogLongPageHeaderData): the magic (one per
 * PostgreSQL major version), the timeline, the page address (the segment's start LSN), the system identifier of the
 * cluster that wrote it and the segment size. So archive_command needs no connection to learn which cluster a
 * segment belongs to. Also reads the system identifier from {@code global/pg_control} (its first field), for
 * history files, which carry none.
 */
public record WalHeader(int magic, int timeline, long pageAddress, long systemIdentifier, long segmentSize) {
    private static final int XLP_LONG_HEADER = 0x0002;
    private static final int LENGTH = 40;

    /** Reads and checks the header of the segment file {@code file}, whose name parsed as {@code name}. */
    public static WalHeader read(Path file, WalNames.Parsed name) throws IOException {
        byte[] b = new byte[LENGTH];
        int n;
        try (InputStream in = Files.newInputStream(file)) {
            n = in.readNBytes(b, 0, LENGTH);
        }
        if (n < LENGTH) {
            throw new InvalidInputException("'" + file + "' is not a WAL segment: it is only " + n + " bytes long");
        }
        ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int magic = buf.getShort(0) & 0xffff;
        int info = buf.getShort(2) & 0xffff;
        if (magic < 0xd000 || magic >= 0xd200 || (info & XLP_LONG_HEADER) == 0) { // D097 (10) ... D110 (15), D113 (16)
            // a big-endian machine's WAL would show a byte-swapped magic; PostgreSQL runs little-endian here
            throw new InvalidInputException("'" + file + "' is not a WAL segment: its first page has no long page header"
                    + String.format(" (magic %04X, info %04X)", magic, info));
        }
        WalHeader h = new WalHeader(magic, buf.getInt(4), buf.getLong(8), buf.getLong(24), buf.getInt(32) & 0xffff_ffffL);
        if (Long.bitCount(h.segmentSize) != 1 || h.segmentSize < 1024 * 1024 || h.segmentSize > 1024L * 1024 * 1024) {
            throw new InvalidInputException("'" + file + "' is not a WAL segment: its header gives a segment size of "
                    + h.segmentSize + " bytes");
        }
        // The first segment of a new timeline is a copy of the old one up to the switch point: its first page keeps
        // the older timeline's id (PostgreSQL only checks that page timelines never go backwards).
        if (h.timeline > name.timeline() || h.timeline < 1 || h.pageAddress != name.startLsn(h.segmentSize)) {
            throw new InvalidInputException("'" + file + "' does not hold WAL segment " + name.segmentName()
                    + ": its header says timeline " + h.timeline + " at " + WalNames.lsnText(h.pageAddress)
                    + ", the name timeline " + name.timeline() + " at " + WalNames.lsnText(name.startLsn(h.segmentSize)));
        }
        return h;
    }

    /** The system identifier in {@code dataDirectory/global/pg_control}, or empty when there is no such file. */
    public static java.util.Optional<Long> systemIdentifierOfDataDirectory(Path dataDirectory) throws IOException {
        Path control = dataDirectory.resolve("global").resolve("pg_control");
        byte[] b;
        try (InputStream in = Files.newInputStream(control)) {
            b = in.readNBytes(8);
        } catch (NoSuchFileException e) {
            return java.util.Optional.empty();
        }
        if (b.length < 8) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong());
    }
}
