import { graphql } from "./gql";

// `query` is plain English: the server turns it into a filter (docs/api.md, Plain English).
export const SearchProfiles = graphql(`
  query SearchProfiles($query: String!, $first: Int!, $after: String) {
    profiles(query: $query, first: $first, after: $after) {
      totalCount
      edges {
        node {
          id
          name
          gender
          age
          countryName
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

export const TranscriptUpdates = graphql(`
  subscription TranscriptUpdates($interviewId: ID!) {
    transcriptUpdates(interviewId: $interviewId) {
      id
      sequenceNo
      speakerLabel
      text
      timestamp
    }
  }
`);
