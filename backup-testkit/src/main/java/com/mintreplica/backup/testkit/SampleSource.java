package com.mintreplica.backup.testkit;

import com.mintreplica.backup.core.source.BackupContext;
import com.mintreplica.backup.core.source.Entry;
import com.mintreplica.backup.core.source.Source;
import com.mintreplica.backup.core.source.SourceEntry;
import com.mintreplica.backup.core.source.SourceId;
import com.mintreplica.backup.core.source.SourceReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * A {@link Source} of test entries: small ones held as byte arrays, and large ones generated from a seed as they are
 * read, so a test can back up hundreds of MiB with little memory. The same seed always gives the same bytes, so two
 * backups of one sample deduplicate. {@link #digests()} gives the SHA-256 of every entry, to compare with what a
 * {@link DigestTarget} saw on restore.
 *
 * <pre>{@code
 * SampleSource source = SampleSource.builder().add("small.txt", "hello".getBytes()).generated("big.bin", 200L << 20, 7).build();
 * }</pre>
 */
public final class SampleSource implements Source {
    private final SourceId id;
    private final List<Item> items;

    private record Item(String path, byte[] bytes, long size, long seed) {
        InputStream open() {
            return bytes != null ? new ByteArrayInputStream(bytes) : new GeneratedStream(size, seed);
        }

        long length() {
            return bytes != null ? bytes.length : size;
        }
    }

    private final Map<String, String> facts;

    private SampleSource(Builder b) {
        this.id = b.id;
        this.items = List.copyOf(b.items);
        this.facts = Map.copyOf(b.facts);
    }

    /** A source with id {@code id} and one entry per map entry, in the map's order. */
    public static SampleSource of(SourceId id, Map<String, byte[]> files) {
        Builder b = builder().id(id);
        files.forEach(b::add);
        return b.build();
    }

    /**
     * 400 small files of random bytes (1-4 KB, always the same) in {@code logs/} and one in {@code docs/}, as a day's
     * log directory: {@code changed} names a file whose first byte differs (-1: none), and {@code later} adds
     * {@code logs/new.log} and leaves out {@code logs/f00008.log}. Copies and backups "of what changed" compare two.
     */
    public static SampleSource logs(int changed, boolean later) {
        Builder b = builder();
        java.util.Random random = new java.util.Random(9);
        for (int i = 0; i < 400; i++) {
            byte[] content = new byte[1000 + random.nextInt(3000)];
            random.nextBytes(content);
            if (i == changed) {
                content[0] ^= 1;
            }
            if (!(later && i == 8)) {
                b.add(String.format("logs/f%05d.log", i), content);
            }
        }
        if (later) {
            b.generated("logs/new.log", 3000, 77);
        }
        b.add("docs/readme.txt", "the same in every snapshot".getBytes());
        return b.build();
    }

    /** A new builder for a source with id {@code sample:test}. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public SourceId id() {
        return id;
    }

    @Override
    public SourceReader open(BackupContext context) {
        Iterator<Item> it = items.iterator();
        return new SourceReader() {
            @Override
            public Optional<SourceEntry> next() {
                if (!it.hasNext()) {
                    return Optional.empty();
                }
                Item item = it.next();
                return Optional.of(SourceEntry.of(Entry.regular(item.path()).size(item.length()).build(), item::open));
            }

            @Override
            public Map<String, String> facts() {
                return facts;
            }

            @Override
            public void close() {
            }
        };
    }

    /** The SHA-256 (hex) of every entry's content, by path, in entry order. */
    public Map<String, String> digests() {
        Map<String, String> out = new LinkedHashMap<>();
        for (Item item : items) {
            try (InputStream in = item.open(); DigestTarget.DigestingStream d = new DigestTarget.DigestingStream()) {
                in.transferTo(d);
                out.put(item.path(), d.hex());
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        return out;
    }

    /** The total content size of all entries. */
    public long totalBytes() {
        return items.stream().mapToLong(Item::length).sum();
    }

    /** Builds a {@link SampleSource}. */
    public static final class Builder {
        private SourceId id = new SourceId("sample", "test");
        private final List<Item> items = new ArrayList<>();
        private final Map<String, String> facts = new LinkedHashMap<>();

        private Builder() {
        }

        /** A fact the source reports for the manifest. */
        public Builder fact(String key, String value) {
            facts.put(key, value);
            return this;
        }

        /** Facts the source reports for the manifest. */
        public Builder facts(Map<String, String> values) {
            facts.putAll(values);
            return this;
        }

        /** The source id; default {@code sample:test}. */
        public Builder id(SourceId id) {
            this.id = id;
            return this;
        }

        /** An entry with this content. */
        public Builder add(String path, byte[] content) {
            items.add(new Item(path, content.clone(), content.length, 0));
            return this;
        }

        /** An entry of {@code size} pseudo-random bytes generated from {@code seed} as it is read. */
        public Builder generated(String path, long size, long seed) {
            items.add(new Item(path, null, size, seed));
            return this;
        }

        public SampleSource build() {
            return new SampleSource(this);
        }
    }

    /** Pseudo-random bytes from a seed, generated as they are read. */
    static final class GeneratedStream extends InputStream {
        private final SplittableRandom random;
        private long remaining;
        private long word;
        private int wordBytes;

        GeneratedStream(long size, long seed) {
            this.random = new SplittableRandom(seed);
            this.remaining = size;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (len == 0) {
                return 0;
            }
            if (remaining <= 0) {
                return -1;
            }
            int n = (int) Math.min(len, remaining);
            for (int i = 0; i < n; i++) {
                if (wordBytes == 0) {
                    word = random.nextLong();
                    wordBytes = 8;
                }
                b[off + i] = (byte) word;
                word >>>= 8;
                wordBytes--;
            }
            remaining -= n;
            return n;
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String hex(byte[] digest) {
        return HexFormat.of().formatHex(digest);
    }
}
