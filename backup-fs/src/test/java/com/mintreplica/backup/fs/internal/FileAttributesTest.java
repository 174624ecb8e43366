package com.mintreplica.backup.fs.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.mintreplica.backup.testkit.fs.HostileTree;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The walk's statx gives exactly what the JDK's unix view gives, for every kind of entry of the hostile tree, by whole
 * path and by name in the entry's open directory.
 */
class FileAttributesTest {
    @TempDir
    Path temp;

    @Test
    void statx_reads_the_same_attributes_as_the_jdk_for_every_kind_of_entry() throws Exception {
        assumeTrue(Fd.Statx.AVAILABLE, "no statx here");
        HostileTree tree = HostileTree.create(temp.resolve("tree"), 1 << 20);
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(tree.root())) {
            paths = walk.toList();
        }
        FileAttributes.Names names = new FileAttributes.Names();
        java.util.Set<FileAttributes.Kind> kinds = java.util.EnumSet.noneOf(FileAttributes.Kind.class);
        for (Path path : paths) {
            FileAttributes jdk = FileAttributes.read(path, new FileAttributes.Names());
            FileAttributes statx = FileAttributes.read(path, PathBytes.of(path.toAbsolutePath()), names);
            assertThat(statx).as(path.toString()).isEqualTo(jdk);
            Path parent = path.toAbsolutePath().getParent();
            int fd = SourceDirectory.list(parent, PathBytes.of(parent), true).fd();
            try {
                assertThat(FileAttributes.read(path, PathBytes.of(path.toAbsolutePath()), fd, names))
                        .as("%s, by name in its directory", path).isEqualTo(jdk);
            } finally {
                Fd.close(fd);
            }
            kinds.add(statx.kind());
        }
        assertThat(kinds).contains(FileAttributes.Kind.REGULAR, FileAttributes.Kind.DIRECTORY,
                FileAttributes.Kind.SYMLINK, FileAttributes.Kind.FIFO);
        if (tree.parts().contains(HostileTree.Part.DEVICES)) {
            assertThat(kinds).contains(FileAttributes.Kind.CHAR_DEVICE, FileAttributes.Kind.BLOCK_DEVICE);
        }
        Path gone = temp.resolve("gone");
        assertThatThrownBy(() -> FileAttributes.read(gone, PathBytes.of(gone), names)).isInstanceOf(NoSuchFileException.class);
    }
}
