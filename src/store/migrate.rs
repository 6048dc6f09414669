//! Schema versions and the migrations between them.
//!
//! `meta/schema_version` holds the version as a big-endian u32. A fresh database is stamped with
//! the current version; an older one runs each migration in turn, each in the order listed; a
//! newer one is refused rather than misread.

use super::StoreError;

/// A step from version `n` to `n + 1`, where `n` is its index + 1.
pub type Migration = fn(&sled::Db) -> Result<(), StoreError>;

/// Migrations from version 1 upwards; empty while version 1 is the only one.
pub const MIGRATIONS: &[Migration] = &[];

const KEY: &str = "schema_version";

pub fn to_current(db: &sled::Db, migrations: &[Migration]) -> Result<(), StoreError> {
    let target = 1 + migrations.len() as u32;
    let meta = db.open_tree("meta")?;
    let found = match meta.get(KEY)? {
        None => {
            meta.insert(KEY, &target.to_be_bytes())?;
            db.flush()?;
            return Ok(());
        }
        Some(bytes) => {
            let array: [u8; 4] = bytes.as_ref().try_into().map_err(|_| StoreError::Corrupt {
                tree: "meta",
                reason: "schema_version is not 4 bytes".into(),
            })?;
            u32::from_be_bytes(array)
        }
    };
    if found == 0 {
        return Err(StoreError::Corrupt {
            tree: "meta",
            reason: "schema_version is 0".into(),
        });
    }
    if found > target {
        return Err(StoreError::TooNew {
            found,
            known: target,
        });
    }
    for version in found..target {
        let step = migrations[(version - 1) as usize];
        step(db)?;
        meta.insert(KEY, &(version + 1).to_be_bytes())?;
        db.flush()?;
        tracing::info!(from = version, to = version + 1, "migrated the store");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(db: &sled::Db) -> u32 {
        let bytes = db.open_tree("meta").unwrap().get(KEY).unwrap().unwrap();
        u32::from_be_bytes(bytes.as_ref().try_into().unwrap())
    }

    fn add_marker(db: &sled::Db) -> Result<(), StoreError> {
        db.open_tree("marker")?.insert("migrated", b"yes")?;
        Ok(())
    }

    #[test]
    fn fresh_database_is_stamped_current() {
        let db = sled::Config::new().temporary(true).open().unwrap();
        to_current(&db, MIGRATIONS).unwrap();
        assert_eq!(version(&db), 1 + MIGRATIONS.len() as u32);
    }

    #[test]
    fn older_database_runs_each_migration_once() {
        let db = sled::Config::new().temporary(true).open().unwrap();
        to_current(&db, &[]).unwrap();
        assert_eq!(version(&db), 1);
        to_current(&db, &[add_marker]).unwrap();
        assert_eq!(version(&db), 2);
        assert!(
            db.open_tree("marker")
                .unwrap()
                .contains_key("migrated")
                .unwrap()
        );
        db.open_tree("marker").unwrap().clear().unwrap();
        to_current(&db, &[add_marker]).unwrap();
        assert!(
            !db.open_tree("marker")
                .unwrap()
                .contains_key("migrated")
                .unwrap()
        );
    }

    #[test]
    fn version_zero_is_corrupt_not_a_panic() {
        let db = sled::Config::new().temporary(true).open().unwrap();
        db.open_tree("meta")
            .unwrap()
            .insert(KEY, &0u32.to_be_bytes())
            .unwrap();
        assert!(matches!(
            to_current(&db, &[add_marker]),
            Err(StoreError::Corrupt { .. })
        ));
        db.open_tree("meta").unwrap().insert(KEY, b"xy").unwrap();
        assert!(matches!(
            to_current(&db, &[]),
            Err(StoreError::Corrupt { .. })
        ));
    }

    #[test]
    fn newer_database_is_refused() {
        let db = sled::Config::new().temporary(true).open().unwrap();
        to_current(&db, &[add_marker]).unwrap();
        let err = to_current(&db, &[]).unwrap_err();
        assert!(matches!(err, StoreError::TooNew { found: 2, known: 1 }));
    }
}
