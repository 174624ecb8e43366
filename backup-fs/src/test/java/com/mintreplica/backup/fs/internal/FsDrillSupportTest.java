package com.mintreplica.backup.fs.internal;

import com.mintreplica.backup.core.source.SourceProvider;
import com.mintreplica.backup.testkit.DrillSupportContract;
import java.nio.file.Files;
import java.nio.file.Path;

/** Directory drills pass the kit: a scratch directory under the drill's target, every file's hash checked. */
class FsDrillSupportTest extends DrillSupportContract {
    private Path data;

    @Override
    protected SourceProvider provider() {
        return new FsSourceProvider();
    }

    @Override
    protected String location() throws Exception {
        data = Files.createDirectories(kitTemp.resolve("data"));
        Files.createDirectories(data.resolve("etc"));
        Files.writeString(data.resolve("etc/app.yaml"), "name: mint\n");
        Files.write(data.resolve("ledger.bin"), new byte[300_000]);
        return data.toString();
    }

    @Override
    protected boolean originalIntact() throws Exception {
        return Files.readString(data.resolve("etc/app.yaml")).equals("name: mint\n")
                && Files.size(data.resolve("ledger.bin")) == 300_000;
    }
}
