; Defines, labels and a function shared by the other files.
!Frame = $7E0010
ScreenOffset = $73
function pixels(tiles) = tiles*8

namespace Engine
Counter = $7E0020
Limit = Counter+2                   ; Counter is Engine_Counter here
namespace off
