import { migrationChecksum, MigrationError, orderedMigrations, pendingMigrations } from './migrationPlan';

const file = (fileName: string, sql = `-- ${fileName}`) => ({ fileName, sql });

describe('the migration plan', () => {
  it('orders migrations by their number, not by the order the files were listed', () => {
    const migrations = orderedMigrations([file('010_ten.sql'), file('002_two.sql'), file('001_one.sql')]);
    expect(migrations.map((m) => m.version)).toEqual([1, 2, 10]);
    expect(migrations.map((m) => m.name)).toEqual(['one', 'two', 'ten']);
  });

  it('refuses a file that is not named NNN_name.sql', () => {
    expect(() => orderedMigrations([file('1_short.sql')])).toThrow(/1_short.sql is not named NNN_name.sql/);
    expect(() => orderedMigrations([file('001_Upper.sql')])).toThrow(MigrationError);
    expect(() => orderedMigrations([file('001_no_extension')])).toThrow(MigrationError);
  });

  it('refuses two files with the same number', () => {
    expect(() => orderedMigrations([file('003_a.sql'), file('003_b.sql')])).toThrow(
      /003_a.sql and 003_b.sql have the same number/,
    );
  });

  it('runs every migration on an empty database and none on an up-to-date one', () => {
    const known = orderedMigrations([file('001_one.sql'), file('002_two.sql')]);
    expect(pendingMigrations(known, []).map((m) => m.version)).toEqual([1, 2]);
    const applied = known.map((m) => ({ version: m.version, checksum: m.checksum }));
    expect(pendingMigrations(known, applied)).toEqual([]);
  });

  it('runs only the migrations added since the last start', () => {
    const known = orderedMigrations([file('001_one.sql'), file('002_two.sql'), file('003_three.sql')]);
    const applied = [{ version: 1, checksum: known[0]!.checksum }];
    expect(pendingMigrations(known, applied).map((m) => m.fileName)).toEqual(['002_two.sql', '003_three.sql']);
  });

  it('refuses to go on when an applied migration file was edited', () => {
    const known = orderedMigrations([file('001_one.sql', 'CREATE TABLE a (id uuid)')]);
    const applied = [{ version: 1, checksum: migrationChecksum('CREATE TABLE a (id int)') }];
    expect(() => pendingMigrations(known, applied)).toThrow(/001_one.sql was changed after it was applied/);
  });

  it('refuses to go on when the database is ahead of this build', () => {
    const known = orderedMigrations([file('001_one.sql')]);
    const applied = [
      { version: 1, checksum: known[0]!.checksum },
      { version: 2, checksum: 'x' },
    ];
    expect(() => pendingMigrations(known, applied)).toThrow(/has migration 002, which this build does not have/);
  });
});
