package com.mintreplica.backup.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.mintreplica.backup.core.Backup;
import com.mintreplica.backup.core.Layout;
import com.mintreplica.backup.core.Repository;
import com.mintreplica.backup.core.RepositorySettings;
import com.mintreplica.backup.core.source.BackupContext;
import com.mintreplica.backup.core.source.Source;
import com.mintreplica.backup.core.source.SourceEntry;
import com.mintreplica.backup.core.source.SourceId;
import com.mintreplica.backup.core.source.SourceReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A Source learns the layout of the repository it is backed up to, so it can leave compression to the pipeline. */
class BackupContextLayoutTest {

    @Test
    void a_source_is_told_the_layout_of_the_repository_it_is_backed_up_to() {
        List<Layout> seen = new ArrayList<>();
        Source source = new Source() {
            @Override
            public SourceId id() {
                return new SourceId("test", "layout");
            }

            @Override
            public SourceReader open(BackupContext context) {
                seen.add(context.layout());
                return new SourceReader() {
                    @Override
                    public Optional<SourceEntry> next() {
                        return Optional.empty();
                    }

                    @Override
                    public void close() {
                    }
                };
            }
        };
        for (Layout layout : Layout.values()) {
            try (Repository repo = Repository.init(new InMemorySink(), RepositorySettings.defaults().withLayout(layout))) {
                Backup.pipeline().source(source).to(repo).build().run();
            }
        }
        assertThat(seen).containsExactly(Layout.values());
    }
}
