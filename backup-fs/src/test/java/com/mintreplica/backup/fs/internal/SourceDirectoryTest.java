package com.mintreplica.backup.fs.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The native listing gives exactly the names the JDK's directory stream gives, over many reads of the kernel's records. */
class SourceDirectoryTest {
    @TempDir
    Path temp;

    @Test
    void a_listing_larger_than_one_read_holds_every_name_exactly_once_as_its_bytes() throws Exception {
        assumeTrue(SourceDirectory.AVAILABLE, "no getdents64 here");
        Path dir = Files.createDirectory(temp.resolve("many"));
        for (int i = 0; i < 3000; i++) { // about 240 KiB of records: four reads of the 64 KiB buffer
            Files.createFile(dir.resolve(String.format("%05d-%s", i, "n".repeat(i % 200))));
        }
        Files.createDirectory(dir.resolve("a directory"));
        Files.createFile(PathBytes.path(PathBytes.child(PathBytes.of(dir), new byte[] {'b', 'a', 'd', (byte) 0xff, (byte) 0xfe})));
        List<String> expected = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            for (Path child : stream) {
                expected.add(HexFormat.of().formatHex(PathBytes.name(child)));
            }
        }
        List<String> listed = SourceDirectory.names(dir, PathBytes.of(dir)).stream().map(HexFormat.of()::formatHex).toList();
        assertThat(listed).hasSize(3002).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(expected)
                .contains("626164fffe").doesNotContain("2e", "2e2e");
    }
}
