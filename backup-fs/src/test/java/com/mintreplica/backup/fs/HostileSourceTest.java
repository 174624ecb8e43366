package com.mintreplica.backup.fs;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.source.RestoreTarget;
import com.mintreplica.backup.core.source.Source;
import com.mintreplica.backup.testkit.SourceContract;
import com.mintreplica.backup.testkit.fs.HostileTree;
import com.mintreplica.backup.testkit.fs.TreeFacts;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** The directory source and target pass the Source kit on the test kit's hostile tree too. */
class HostileSourceTest extends SourceContract {
    @TempDir
    Path temp;
    HostileTree tree;
    Path restored;

    @BeforeEach
    void makeTree() throws Exception {
        tree = HostileTree.create(temp.resolve("tree"), 8L << 20);
    }

    @Override
    protected Source newSource() {
        return DirectorySource.of(tree.root());
    }

    @Override
    protected RestoreTarget newTarget() throws Exception {
        restored = Files.createTempDirectory(temp, "restore");
        return DirectoryTarget.to(restored);
    }

    @Override
    protected void assertRestored(RestoreTarget target) throws Exception {
        assertThat(TreeFacts.differences(FidelityTest.restorable(tree.root()),
                FidelityTest.restorable(Trees.restoredRoot(restored, tree.root())), TreeFacts.ATTRIBUTES)).isEmpty();
    }
}
