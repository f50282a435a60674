#pragma once

#include <string>
#include <string_view>

namespace convene::domain {

/// The key display names are compared on for uniqueness (deviations §3.1): Unicode NFKC with case
/// folding (NFKC_Casefold), so names that only look alike collide and get a `_N` suffix instead of
/// a twin: "René" in NFC and in NFD, fullwidth "Ａlice" and "alice", "ÉMILE" and "émile",
/// "Straße" and "STRASSE", "ﬁ" and "fi". Invisible characters (zero-width space, LRM/RLM marks,
/// variation selectors: Unicode's Default_Ignorable_Code_Point) are dropped from the key. The
/// displayed name is never changed; only the comparison uses the key.
///
/// ASCII-only names take a fast path (ASCII lower case, no ICU call). A name that is not valid
/// UTF-8 (a requested name never is: see name_characters.hpp; a name LiveKit reports or an
/// identity may be) is compared with only its ASCII letters folded: such a key is itself invalid
/// UTF-8, so it never equals a normalized one.
///
/// Appending "_<digits>" to a name appends the same to its key (NameKey(s + "_7") ==
/// NameKey(s) + "_7"): '_' and the ASCII digits neither change nor combine with what precedes
/// them. The Redis registry relies on this to derive candidates' keys from their base's key.
std::string NameKey(std::string_view name);

}  // namespace convene::domain
