package com.mintreplica.backup.fs;

import com.mintreplica.backup.core.source.RestoreTarget;
import com.mintreplica.backup.core.source.Source;
import com.mintreplica.backup.testkit.SourceContract;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** The directory source and target pass the Source kit. */
class DirectorySourceTest extends SourceContract {
    @TempDir
    Path temp;
    Path tree;
    Path restored;

    @BeforeEach
    void makeTree() throws Exception {
        tree = temp.resolve("tree");
        Trees.writeRandom(tree.resolve("a/b/big.bin"), 3_000_000, 1);
        Files.writeString(tree.resolve("a/notes.txt"), "ledger notes\n");
        Files.createDirectories(tree.resolve("empty"));
        Files.createSymbolicLink(tree.resolve("a/link"), Path.of("notes.txt"));
        Files.write(tree.resolve("zero"), new byte[0]);
    }

    @Override
    protected Source newSource() {
        return DirectorySource.of(tree);
    }

    @Override
    protected RestoreTarget newTarget() throws Exception {
        restored = Files.createTempDirectory(temp, "restore");
        return DirectoryTarget.to(restored);
    }

    @Override
    protected void assertRestored(RestoreTarget target) throws Exception {
        Trees.assertSameTree(tree, Trees.restoredRoot(restored, tree));
    }
}
