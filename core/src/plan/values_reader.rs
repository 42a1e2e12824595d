//! Typed reads of the values file at profile paths, with errors that name the line and the fix.
use crate::values::{Document, Lookup, Node, Scalar, ValuePath, ValuesError};

/// A whole number at `path`; `None` when the path is not in the file.
pub fn read_count<'d>(document: &'d Document, path: &ValuePath) -> Result<Option<(u64, &'d Scalar)>, ValuesError> {
    let Some(scalar) = read_scalar(document, path)? else {
        return Ok(None);
    };
    match scalar.value.trim().parse::<u64>() {
        Ok(count) => Ok(Some((count, scalar))),
        Err(_) => Err(ValuesError::new(
            &document.file,
            Some(scalar.line),
            None,
            format!("`{path}` is `{}`, not a whole number", scalar.value),
            "write a number such as 3",
        )),
    }
}

/// The scalar at `path`; `None` when absent; an error naming the line when something else is there
/// (a mapping, an alias, a merge key).
pub fn read_scalar<'d>(document: &'d Document, path: &ValuePath) -> Result<Option<&'d Scalar>, ValuesError> {
    match document.lookup(path) {
        Lookup::Missing => Ok(None),
        Lookup::Found(Node::Scalar(scalar)) => Ok(Some(scalar)),
        _ => crate::values::editable_scalar(document, path).map(Some),
    }
}

/// One `{name, partitions, replicationFactor}` item of the topic list.
#[derive(Debug, Clone)]
pub struct TopicItem {
    pub name: String,
    pub partitions: u64,
    pub partitions_path: ValuePath,
    pub replication_factor: u64,
}

/// The topic list at `path`; `None` when the file has no such key.
pub fn read_topics(document: &Document, path: &ValuePath) -> Result<Option<Vec<TopicItem>>, ValuesError> {
    let node = match document.lookup(path) {
        Lookup::Missing => return Ok(None),
        Lookup::Found(node) => node,
        _ => return crate::values::editable_scalar(document, path).map(|_| None),
    };
    if let Node::Scalar(scalar) = node
        && scalar.style == crate::values::document::Style::Plain
        && matches!(scalar.value.as_str(), "" | "~" | "null")
    {
        return Ok(Some(Vec::new()));
    }
    let Node::Sequence(sequence) = node else {
        return Err(ValuesError::new(
            &document.file,
            Some(node.line()),
            None,
            format!("`{path}` is {}, not a list of topics", node.kind()),
            "write it as a list of `{name, partitions, replicationFactor}` items, or set kafka.topics_path in the profile",
        ));
    };
    let mut topics = Vec::with_capacity(sequence.items.len());
    for index in 0..sequence.items.len() {
        let item_path = path.child_index(index);
        let name_path = item_path.child_key("name");
        let name = read_scalar(document, &name_path)?.ok_or_else(|| {
            ValuesError::new(
                &document.file,
                Some(sequence.items[index].line()),
                None,
                format!("topic item `{item_path}` has no `name`"),
                "give every topic item a `name:`",
            )
        })?;
        let partitions_path = item_path.child_key("partitions");
        let (partitions, _) = read_count(document, &partitions_path)?.ok_or_else(|| {
            ValuesError::new(
                &document.file,
                Some(name.line),
                None,
                format!("topic `{}` (`{item_path}`) has no `partitions`", name.value),
                "give the topic a `partitions:` count",
            )
        })?;
        let replication_factor =
            read_count(document, &item_path.child_key("replicationFactor"))?.map_or(1, |(count, _)| count);
        topics.push(TopicItem {
            name: name.value.clone(),
            partitions,
            partitions_path,
            replication_factor,
        });
    }
    Ok(Some(topics))
}
