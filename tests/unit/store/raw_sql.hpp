// Test helpers: a temporary directory per test and a raw SQLite connection
// that goes under the store, to tamper with rows or fake a newer schema.
// Failures throw (Boost.Test reports them).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace store_test {

/// A fresh directory under the system temp dir, removed with its contents.
class TempDir {
public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return m_path; }
  std::string file(const std::string& name) const { return (m_path / name).string(); }

private:
  std::filesystem::path m_path;
};

/// A plain connection to the database file, outside the store.
class RawSql {
public:
  explicit RawSql(const std::string& path);
  ~RawSql();

  void execute(const std::string& sql);
  std::int64_t count(const std::string& sql); // the first column of the first row

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

} // namespace store_test
