package com.mintreplica.backup.core.source;

import com.mintreplica.backup.core.InvalidInputException;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * The metadata of one entry of a snapshot: its path, type and the attributes that let a restore rebuild it. Content is
 * not part of an entry; a {@link SourceEntry} supplies it.
 *
 * <p>Paths are relative, {@code /}-separated, without empty, {@code .} or {@code ..} segments, for example
 * {@code etc/mint/app.yaml} or {@code mint_replica.dump}. Any other character is allowed.
 *
 * <p>The {@linkplain #changeToken() change token} lets a backup reuse the content of the parent snapshot's entry of the
 * same path without reading it again: a Source sets it to what identifies an unchanged entry (for files: size,
 * modification time and inode, restic's rule) and leaves it empty when content must always be read.
 *
 * <p>Paths and link targets of file trees are {@link FileNames} strings: a name that is not valid UTF-8 keeps its
 * bytes as escape characters, so every name round-trips exactly. File trees also record access times, extended
 * attributes (with POSIX ACLs), device numbers and hard links ({@link #hardLinkTo()}); other sources leave them empty.
 */
public final class Entry {
    private final String path;
    private final EntryType type;
    private final long size;
    private final Instant modified;
    private final Integer mode;
    private final String linkTarget;
    private final Integer uid;
    private final Integer gid;
    private final String owner;
    private final String group;
    private final String changeToken;
    private final Map<String, String> attributes;
    private final Instant accessed;
    private final Long device;
    private final String hardLinkTo;
    private final List<ExtendedAttribute> xattrs;

    private Entry(Builder b) {
        this.path = checkPath(b.path);
        this.type = Objects.requireNonNull(b.type, "type");
        this.size = b.size;
        this.modified = b.modified;
        this.mode = b.mode;
        this.linkTarget = b.linkTarget;
        this.uid = b.uid;
        this.gid = b.gid;
        this.owner = b.owner;
        this.group = b.group;
        this.changeToken = b.changeToken;
        // most entries have none: a shared empty map, not a TreeMap each (a restore plans thousands of entries at once)
        this.attributes = b.attributes.isEmpty() ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(b.attributes));
        this.accessed = b.accessed;
        this.device = b.device;
        this.hardLinkTo = b.hardLinkTo == null ? null : checkPath(b.hardLinkTo);
        this.xattrs = List.copyOf(b.xattrs.values());
        if (type == EntryType.SYMLINK && linkTarget == null) {
            throw new IllegalArgumentException("symlink entry '" + path + "' needs a link target");
        }
        if (hardLinkTo != null && (type == EntryType.DIRECTORY || hardLinkTo.equals(path))) {
            throw new IllegalArgumentException("entry '" + path + "' cannot be a hard link to '" + hardLinkTo + "'");
        }
    }

    /** A builder for a content entry (a file, a dump). */
    public static Builder regular(String path) {
        return new Builder(path, EntryType.REGULAR);
    }

    /** A builder for a directory entry. */
    public static Builder directory(String path) {
        return new Builder(path, EntryType.DIRECTORY);
    }

    /** A builder for a symbolic link to {@code target}. */
    public static Builder symlink(String path, String target) {
        return new Builder(path, EntryType.SYMLINK).linkTarget(target);
    }

    /** A builder of the given type. */
    public static Builder builder(String path, EntryType type) {
        return new Builder(path, type);
    }

    public String path() {
        return path;
    }

    public EntryType type() {
        return type;
    }

    /** The content size the Source announced, when it knows it before reading. */
    public OptionalLong size() {
        return size < 0 ? OptionalLong.empty() : OptionalLong.of(size);
    }

    public Optional<Instant> modified() {
        return Optional.ofNullable(modified);
    }

    /** POSIX permission bits (including setuid, setgid and sticky), e.g. {@code 0644}. */
    public OptionalInt mode() {
        return mode == null ? OptionalInt.empty() : OptionalInt.of(mode);
    }

    public Optional<String> linkTarget() {
        return Optional.ofNullable(linkTarget);
    }

    public OptionalInt uid() {
        return uid == null ? OptionalInt.empty() : OptionalInt.of(uid);
    }

    public OptionalInt gid() {
        return gid == null ? OptionalInt.empty() : OptionalInt.of(gid);
    }

    /** The owner's user name, restored by name first when restoring as root. */
    public Optional<String> owner() {
        return Optional.ofNullable(owner);
    }

    public Optional<String> group() {
        return Optional.ofNullable(group);
    }

    /** What identifies unchanged content of this path; see the class comment. */
    public Optional<String> changeToken() {
        return Optional.ofNullable(changeToken);
    }

    /** Source-specific attributes (sorted), recorded in the manifest as they are. Never secrets. */
    public Map<String, String> attributes() {
        return attributes;
    }

    /** When the entry was last read, as the Source saw it before reading it (file trees only). */
    public Optional<Instant> accessed() {
        return Optional.ofNullable(accessed);
    }

    /** The device number ({@code st_rdev}) of a {@link EntryType#CHAR_DEVICE} or {@link EntryType#BLOCK_DEVICE}. */
    public OptionalLong device() {
        return device == null ? OptionalLong.empty() : OptionalLong.of(device);
    }

    /**
     * The path of an earlier entry of the same snapshot that is the same file (a hard link): its content and
     * attributes are that entry's, and a restore that restores both links them again. Never a directory.
     */
    public Optional<String> hardLinkTo() {
        return Optional.ofNullable(hardLinkTo);
    }

    /** Extended attributes (POSIX ACLs among them), sorted by name; empty when there are none or the Source has none. */
    public List<ExtendedAttribute> xattrs() {
        return xattrs;
    }

    /** A builder holding this entry's values, to derive a changed copy. */
    public Builder toBuilder() {
        Builder b = new Builder(path, type);
        b.size = size;
        b.modified = modified;
        b.mode = mode;
        b.linkTarget = linkTarget;
        b.uid = uid;
        b.gid = gid;
        b.owner = owner;
        b.group = group;
        b.changeToken = changeToken;
        b.attributes.putAll(attributes);
        b.accessed = accessed;
        b.device = device;
        b.hardLinkTo = hardLinkTo;
        xattrs.forEach(b::xattr);
        return b;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Entry e && e.path.equals(path) && e.type == type && e.size == size
                && Objects.equals(e.modified, modified) && Objects.equals(e.mode, mode)
                && Objects.equals(e.linkTarget, linkTarget) && Objects.equals(e.uid, uid)
                && Objects.equals(e.gid, gid) && Objects.equals(e.owner, owner) && Objects.equals(e.group, group)
                && Objects.equals(e.changeToken, changeToken) && e.attributes.equals(attributes)
                && Objects.equals(e.accessed, accessed) && Objects.equals(e.device, device)
                && Objects.equals(e.hardLinkTo, hardLinkTo) && e.xattrs.equals(xattrs);
    }

    @Override
    public int hashCode() {
        return Objects.hash(path, type, size, modified, mode, linkTarget);
    }

    @Override
    public String toString() {
        return type.name().toLowerCase(java.util.Locale.ROOT) + " " + path;
    }

    /**
     * Checks that {@code path} is a valid entry path and returns it.
     *
     * @throws InvalidInputException when it is absolute, empty or has empty, {@code .} or {@code ..} segments
     */
    public static String checkPath(String path) {
        if (path == null || path.isEmpty()) {
            throw new InvalidInputException("an entry path is empty");
        }
        if (path.startsWith("/") || path.endsWith("/")) {
            throw new InvalidInputException("entry path '" + path + "' must be relative and not end with '/'");
        }
        if (path.indexOf('\0') >= 0) {
            throw new InvalidInputException("entry path '" + path.replace('\0', '?') + "' contains a NUL character");
        }
        for (String segment : path.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                throw new InvalidInputException("entry path '" + path + "' has an empty, '.' or '..' segment");
            }
        }
        return path;
    }

    /** Builds an {@link Entry}. */
    public static final class Builder {
        private final String path;
        private final EntryType type;
        private long size = -1;
        private Instant modified;
        private Integer mode;
        private String linkTarget;
        private Integer uid;
        private Integer gid;
        private String owner;
        private String group;
        private String changeToken;
        private final Map<String, String> attributes = new TreeMap<>();
        private Instant accessed;
        private Long device;
        private String hardLinkTo;
        private final Map<String, ExtendedAttribute> xattrs = new TreeMap<>();

        private Builder(String path, EntryType type) {
            this.path = path;
            this.type = type;
        }

        public Builder size(long size) {
            this.size = size;
            return this;
        }

        public Builder modified(Instant modified) {
            this.modified = modified;
            return this;
        }

        public Builder mode(int mode) {
            this.mode = mode;
            return this;
        }

        public Builder linkTarget(String linkTarget) {
            this.linkTarget = linkTarget;
            return this;
        }

        public Builder uid(int uid) {
            this.uid = uid;
            return this;
        }

        public Builder gid(int gid) {
            this.gid = gid;
            return this;
        }

        public Builder owner(String owner) {
            this.owner = owner;
            return this;
        }

        public Builder group(String group) {
            this.group = group;
            return this;
        }

        public Builder changeToken(String changeToken) {
            this.changeToken = changeToken;
            return this;
        }

        public Builder attribute(String key, String value) {
            attributes.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        public Builder attributes(Map<String, String> values) {
            values.forEach(this::attribute);
            return this;
        }

        public Builder accessed(Instant accessed) {
            this.accessed = accessed;
            return this;
        }

        /** The device number of a device node ({@code st_rdev}). */
        public Builder device(long device) {
            this.device = device;
            return this;
        }

        /** Marks this entry as a hard link to the earlier entry at {@code path}. */
        public Builder hardLinkTo(String path) {
            this.hardLinkTo = path;
            return this;
        }

        /** Adds an extended attribute (replacing one of the same name). */
        public Builder xattr(ExtendedAttribute attribute) {
            xattrs.put(attribute.name(), attribute);
            return this;
        }

        public Builder xattr(String name, byte[] value) {
            return xattr(new ExtendedAttribute(name, value));
        }

        public Entry build() {
            return new Entry(this);
        }
    }
}
