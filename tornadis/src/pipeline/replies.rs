//! Decoding a typed pipeline's replies into the tuple its type tracks.

use crate::client::request::CommandName;
use crate::error::{Error, Result};
use crate::resp::Value;
use crate::value::FromValue;

/// The replies of a pipeline, handed to [`DecodeReplies`] one by one.
#[doc(hidden)]
#[derive(Debug)]
pub struct ReplyIter {
    pub(super) replies: std::iter::Enumerate<
        std::iter::Zip<std::vec::IntoIter<Result<Value>>, std::vec::IntoIter<CommandName>>,
    >,
    pub(super) total: usize,
}

impl ReplyIter {
    fn next_as<R: FromValue>(&mut self) -> Result<R> {
        let Some((i, (reply, name))) = self.replies.next() else {
            return Err(Error::protocol(
                "a pipeline had fewer replies than commands",
            ));
        };
        reply.and_then(R::from_value).map_err(|e| {
            name.attach(e).with_context(format!(
                "command {} of {} in the pipeline",
                i + 1,
                self.total
            ))
        })
    }
}

/// Decodes a pipeline's replies into the nested tuple its type tracks.
#[doc(hidden)]
pub trait DecodeReplies: Sized {
    /// Decodes as many replies as this type has commands.
    fn decode(it: &mut ReplyIter) -> Result<Self>;
}

impl DecodeReplies for () {
    fn decode(_: &mut ReplyIter) -> Result<()> {
        Ok(())
    }
}

impl<T: DecodeReplies, R: FromValue> DecodeReplies for (T, R) {
    fn decode(it: &mut ReplyIter) -> Result<(T, R)> {
        let earlier = T::decode(it)?;
        Ok((earlier, it.next_as::<R>()?))
    }
}

/// The reply types of a typed pipeline (nested pairs, as the pipeline grows)
/// and the flat tuple [`TypedPipeline::query`](crate::TypedPipeline::query) returns. Implemented for up to
/// 24 commands; run longer batches with a raw [`Pipeline`](crate::Pipeline).
#[diagnostic::on_unimplemented(
    message = "a typed pipeline returns a tuple of at most 24 replies; `{Self}` is not one",
    label = "too many commands (or none) for a tuple of replies",
    note = "for many commands of one reply type, build the pipeline in a loop with `client.pipeline_of::<T>()` and get a `Vec<T>`",
    note = "or stack them on a raw `Pipeline` and decode with `pipe.query_as::<Vec<T>>(&client)`; an empty pipeline has nothing to return"
)]
pub trait Replies: DecodeReplies {
    /// The flat tuple, e.g. `((), Option<String>, i64)`.
    type Flat;
    /// Turns `((((), A), B), C)` into `(A, B, C)`.
    fn flatten(self) -> Self::Flat;
}

macro_rules! nested_type {
    ($acc:ty ;) => { $acc };
    ($acc:ty ; $head:ident $($tail:ident)*) => { nested_type!(($acc, $head) ; $($tail)*) };
}
macro_rules! nested_pat {
    ($acc:pat, ) => { $acc };
    ($acc:pat, $head:ident $($tail:ident)*) => { nested_pat!(($acc, $head), $($tail)*) };
}
macro_rules! replies {
    ($($name:ident)+) => {
        #[allow(non_snake_case)]
        impl<$($name: FromValue),+> Replies for nested_type!(() ; $($name)+) {
            type Flat = ($($name,)+);
            fn flatten(self) -> Self::Flat {
                let nested_pat!((), $($name)+) = self;
                ($($name,)+)
            }
        }
    };
}
replies!(A);
replies!(A B);
replies!(A B C);
replies!(A B C D);
replies!(A B C D E);
replies!(A B C D E F);
replies!(A B C D E F G);
replies!(A B C D E F G H);
replies!(A B C D E F G H I);
replies!(A B C D E F G H I J);
replies!(A B C D E F G H I J K);
replies!(A B C D E F G H I J K L);
replies!(A B C D E F G H I J K L M);
replies!(A B C D E F G H I J K L M N);
replies!(A B C D E F G H I J K L M N O);
replies!(A B C D E F G H I J K L M N O P);
replies!(A B C D E F G H I J K L M N O P Q);
replies!(A B C D E F G H I J K L M N O P Q R);
replies!(A B C D E F G H I J K L M N O P Q R S);
replies!(A B C D E F G H I J K L M N O P Q R S T);
replies!(A B C D E F G H I J K L M N O P Q R S T U);
replies!(A B C D E F G H I J K L M N O P Q R S T U V);
replies!(A B C D E F G H I J K L M N O P Q R S T U V W);
replies!(A B C D E F G H I J K L M N O P Q R S T U V W X);
