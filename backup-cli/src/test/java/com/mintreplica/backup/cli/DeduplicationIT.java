package com.mintreplica.backup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A 1 GiB tree: an unchanged second backup adds less than 1 MiB; after 2% of the files change, less than 5%. */
class DeduplicationIT {
    @TempDir
    Path temp;

    @Test
    void unchanged_and_slightly_changed_trees_add_little_to_the_repository() throws Exception {
        Path tree = temp.resolve("tree");
        long treeSize = 1L << 30;
        List<Path> files = TestTrees.mixedTree(tree, treeSize, 42);
        Path repo = temp.resolve("repo");
        assertThat(Cli.run("init", "--repo", repo.toString()).code()).isZero();

        Cli.Result first = Cli.run("backup", "--repo", repo.toString(), tree.toString());
        assertThat(first.code()).as(first.toString()).isZero();
        long afterFirst = TestTrees.size(repo);

        Cli.Result second = Cli.run("backup", "--repo", repo.toString(), tree.toString());
        assertThat(second.code()).as(second.toString()).isZero();
        long afterSecond = TestTrees.size(repo);
        assertThat(afterSecond - afterFirst).as("bytes added by an unchanged backup").isLessThan(1L << 20);

        Random random = new Random(7);
        int changed = Math.max(1, files.size() * 2 / 100);
        for (int i = 0; i < changed; i++) {
            TestTrees.edit(files.get(random.nextInt(files.size())), random);
        }
        Cli.Result third = Cli.run("backup", "--repo", repo.toString(), tree.toString());
        assertThat(third.code()).as(third.toString()).isZero();
        long afterThird = TestTrees.size(repo);
        assertThat(afterThird - afterSecond).as("bytes added after %d of %d files changed", changed, files.size())
                .isLessThan(treeSize * 5 / 100);

        Cli.Result verify = Cli.run("verify", "--repo", repo.toString(), "--read-data");
        assertThat(verify.code()).as(verify.toString()).isZero();
    }
}
